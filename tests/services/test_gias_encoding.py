"""Which encoding a GIAS file is read in: a byte-order mark decides; otherwise UTF-16 shows by its
NULs, a file that is valid UTF-8 is UTF-8, and anything else is cp1252 (as DfE publishes it)."""

import codecs
import io

import pytest
from sqlalchemy import select

from app.models.school import School
from app.services import accounts
from app.services.imports import gias, gias_format
from app.services.principal import bind
from tests.gias_csv import gias_row, write_gias_csv

# Names that come out garbled when read in the wrong encoding: a curly apostrophe (cp1252 92,
# UTF-8 E2 80 99), accented letters, and a letter cp1252 has but Latin-1 has not (Œ, cp1252 8C).
NAMES = {
    "300001": "Our Lady’s Catholic Primary School",
    "300002": "École Sainte-Thérèse",
    "300003": "Œcumenical Academy",
}
HEAD = ("Siân", "O’Connor")


@pytest.fixture
def by(session, world):
    principal = accounts.operator(world.ours)
    bind(session, principal)
    return principal


def rows():
    return [gias_row(urn, name=name, head_first=HEAD[0], head_last=HEAD[1]) for urn, name in NAMES.items()]


def as_bytes(tmp_path, encoding: str, bom: bytes = b"") -> bytes:
    """The test rows as a GIAS file in `encoding`, with `bom` put in front."""
    return bom + write_gias_csv(tmp_path / f"source-{encoding}.csv", rows(), encoding=encoding).read_bytes()


def imported(session, by, path) -> dict[str, tuple[str, str]]:
    summary = gias.import_file(session, path, by=by)
    assert summary.created == len(NAMES)
    found = session.execute(select(School.urn, School.name, School.headteacher_name)
                            .where(School.urn.in_(NAMES))).all()
    return {urn: (name, head) for urn, name, head in found}


EXPECTED = {urn: (name, "Mrs Siân O’Connor") for urn, name in NAMES.items()}

# (how the file was saved, its encoding for Python, the bytes put in front)
SAVED = [
    ("cp1252, as DfE publishes it", "cp1252", b""),
    ("UTF-8 without a byte-order mark", "utf-8", b""),
    ("UTF-8 with a byte-order mark", "utf-8", codecs.BOM_UTF8),
    ("UTF-16 LE with a byte-order mark (Excel's 'Unicode text')", "utf-16-le", codecs.BOM_UTF16_LE),
    ("UTF-16 BE with a byte-order mark", "utf-16-be", codecs.BOM_UTF16_BE),
    ("UTF-16 LE without a byte-order mark", "utf-16-le", b""),
    ("UTF-16 BE without a byte-order mark", "utf-16-be", b""),
]


@pytest.mark.parametrize(("saved", "encoding", "bom"), SAVED, ids=[s[0] for s in SAVED])
def test_names_survive_every_encoding_a_file_is_saved_in(session, by, tmp_path, saved, encoding, bom):
    path = tmp_path / "edubasealldata.csv"
    path.write_bytes(as_bytes(tmp_path, encoding, bom))
    assert imported(session, by, path) == EXPECTED


@pytest.mark.parametrize(("saved", "encoding", "bom", "found"), [
    (*SAVED[0], "cp1252"), (*SAVED[1], "utf-8"), (*SAVED[2], "utf-8-sig"), (*SAVED[3], "utf-16"),
    (*SAVED[4], "utf-16"), (*SAVED[5], "utf-16-le"), (*SAVED[6], "utf-16-be"),
], ids=[s[0] for s in SAVED])
def test_the_encoding_is_found_from_the_bytes_and_the_stream_rewound(tmp_path, saved, encoding, bom, found):
    stream = io.BytesIO(as_bytes(tmp_path, encoding, bom))
    assert gias_format.sniff_encoding(stream) == found
    assert stream.tell() == 0


def test_a_small_file_of_plain_ascii_is_read_whatever_it_is_called(tmp_path):
    # ASCII is the same in UTF-8 and cp1252, so calling it UTF-8 changes nothing.
    assert gias_format.sniff_encoding(io.BytesIO(b"URN\r\n100000\r\n")) == "utf-8"


def test_utf8_is_recognised_past_the_first_megabyte(tmp_path):
    # The check reads the whole file in chunks: a character split across two chunks is still UTF-8,
    # and a cp1252 byte far into the file still makes it cp1252.
    filler = "x" * ((1 << 20) - 1)
    utf8 = f"URN,Name\r\n100000,{filler}’\r\n".encode()
    assert gias_format.sniff_encoding(io.BytesIO(utf8)) == "utf-8"
    assert gias_format.sniff_encoding(io.BytesIO(utf8 + "Our Lady’s\r\n".encode("cp1252"))) == "cp1252"


class TestRefused:
    def test_cp1252_bytes_that_mean_nothing_are_refused_on_every_line(self, session, by, tmp_path):
        # 81, 8D, 8F, 90 and 9D are the five bytes cp1252 leaves undefined.
        path = write_gias_csv(tmp_path / "bytes.csv", [gias_row(f"30010{i}") for i in range(1, 6)])
        data = (path.read_bytes().replace(b"School 300102", b"School \x81\x8d 300102")
                .replace(b"School 300104", b"Our Lady\x92s \x90 300104"))
        path.write_bytes(data)
        with pytest.raises(gias.GiasFileError) as caught:
            gias.import_file(session, path, by=by)
        assert caught.value.problems == [(3, "has bytes that are not cp1252 text"),
                                         (5, "has bytes that are not cp1252 text")]
        assert session.scalars(select(School.urn).where(School.urn.like("3001%"))).all() == []

    def test_a_byte_order_mark_means_utf8_even_when_a_line_is_not(self, session, by, tmp_path):
        path = write_gias_csv(tmp_path / "mixed.csv", [gias_row("300201"), gias_row("300202")],
                              encoding="utf-8-sig")
        path.write_bytes(path.read_bytes().replace(b"School 300202", b"Our Lady\x92s"))
        with pytest.raises(gias.GiasFileError) as caught:
            gias.import_file(session, path, by=by)
        assert caught.value.problems == [(3, "has bytes that are not UTF-8 text")]

    def test_utf16_cut_short_is_refused_on_its_last_line(self, session, by, tmp_path):
        path = tmp_path / "cut.csv"
        path.write_bytes(as_bytes(tmp_path, "utf-16-le", codecs.BOM_UTF16_LE)[:-3])  # half a character
        with pytest.raises(gias.GiasFileError) as caught:
            gias.import_file(session, path, by=by)
        assert caught.value.problems == [(4, "has bytes that are not UTF-16 text")]

    def test_a_line_with_a_nul_is_refused(self, session, by, tmp_path):
        path = write_gias_csv(tmp_path / "nul.csv", [gias_row("300301"), gias_row("300302")])
        path.write_bytes(path.read_bytes().replace(b"School 300302", b"School \x00 300302"))
        with pytest.raises(gias.GiasFileError) as caught:
            gias.import_file(session, path, by=by)
        assert caught.value.problems == [(3, "has a NUL character")]

    def test_a_file_that_is_not_a_csv_extract_says_so_once(self, session, by, tmp_path):
        path = tmp_path / "edubasealldata.xlsx"
        path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb2\x8c\x9a\r\n")
        with pytest.raises(gias.GiasFileError) as caught:
            gias.import_file(session, path, by=by)
        problems = caught.value.problems
        assert {line for line, _ in problems} == {1}
        assert (1, "the header row has a NUL character") in problems
        assert (1, "the header, read as cp1252 text, has none of the GIAS columns; expected a GIAS extract "
                   "saved as CSV") in problems
        assert (1, "missing column 'URN'") in problems
