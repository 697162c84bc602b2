"""Write GIAS establishment extracts (edubasealldata*.csv) for tests and benchmarks.

The header uses the real column names in the real order (a realistic subset of the ~140), and
the file is cp1252-encoded as DfE publishes it.
"""

import csv
import random
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from pathlib import Path

# The columns the importer reads.
REQUIRED_COLUMNS = [
    "URN", "LA (code)", "LA (name)", "EstablishmentName", "TypeOfEstablishment (name)",
    "EstablishmentStatus (name)", "OpenDate", "CloseDate", "PhaseOfEducation (name)", "StatutoryLowAge",
    "StatutoryHighAge", "NumberOfPupils", "PercentageFSM", "Trusts (name)", "OfstedLastInsp", "Postcode",
    "HeadTitle (name)", "HeadFirstName", "HeadLastName", "OfstedRating (name)",
]

# The full header, in the extract's order: the required columns among others the importer ignores.
ALL_COLUMNS = [
    "URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName",
    "TypeOfEstablishment (code)", "TypeOfEstablishment (name)", "EstablishmentTypeGroup (code)",
    "EstablishmentTypeGroup (name)", "EstablishmentStatus (code)", "EstablishmentStatus (name)",
    "ReasonEstablishmentOpened (code)", "ReasonEstablishmentOpened (name)", "OpenDate",
    "ReasonEstablishmentClosed (code)", "ReasonEstablishmentClosed (name)", "CloseDate",
    "PhaseOfEducation (code)", "PhaseOfEducation (name)", "StatutoryLowAge", "StatutoryHighAge",
    "Boarders (code)", "Boarders (name)", "NurseryProvision (name)", "OfficialSixthForm (code)",
    "OfficialSixthForm (name)", "Gender (code)", "Gender (name)", "ReligiousCharacter (code)",
    "ReligiousCharacter (name)", "Diocese (code)", "Diocese (name)", "AdmissionsPolicy (code)",
    "AdmissionsPolicy (name)", "SchoolCapacity", "CensusDate", "NumberOfPupils", "NumberOfBoys",
    "NumberOfGirls", "PercentageFSM", "TrustSchoolFlag (code)", "TrustSchoolFlag (name)", "Trusts (code)",
    "Trusts (name)", "SchoolSponsorFlag (name)", "FederationFlag (name)", "UKPRN", "OfstedLastInsp",
    "LastChangedDate", "Street", "Locality", "Town", "County (name)", "Postcode", "SchoolWebsite",
    "TelephoneNum", "HeadTitle (name)", "HeadFirstName", "HeadLastName", "HeadPreferredJobTitle",
    "GOR (name)", "ParliamentaryConstituency (name)", "UrbanRural (name)", "Easting", "Northing",
    "OfstedRating (name)", "Country (name)", "UPRN",
]
assert set(REQUIRED_COLUMNS) <= set(ALL_COLUMNS)

# Short names for the columns tests set most often.
ALIASES = {
    "urn": "URN", "name": "EstablishmentName", "type": "TypeOfEstablishment (name)",
    "phase": "PhaseOfEducation (name)", "status": "EstablishmentStatus (name)", "la_code": "LA (code)",
    "la_name": "LA (name)", "trust": "Trusts (name)", "pupils": "NumberOfPupils", "fsm": "PercentageFSM",
    "head_title": "HeadTitle (name)", "head_first": "HeadFirstName", "head_last": "HeadLastName",
    "postcode": "Postcode", "opened": "OpenDate", "closed": "CloseDate", "low_age": "StatutoryLowAge",
    "high_age": "StatutoryHighAge", "rating": "OfstedRating (name)", "inspected": "OfstedLastInsp",
}

DEFAULTS = {
    "LA (code)": "874", "LA (name)": "Peterborough", "TypeOfEstablishment (name)": "Community school",
    "EstablishmentTypeGroup (name)": "Local authority maintained schools", "EstablishmentStatus (name)": "Open",
    "ReasonEstablishmentOpened (name)": "Not applicable", "ReasonEstablishmentClosed (name)": "Not applicable",
    "PhaseOfEducation (name)": "Primary", "StatutoryLowAge": "4", "StatutoryHighAge": "11",
    "Boarders (name)": "No boarders", "NurseryProvision (name)": "No Nursery Classes",
    "OfficialSixthForm (name)": "Does not have a sixth form", "Gender (name)": "Mixed",
    "ReligiousCharacter (name)": "Does not apply", "Diocese (name)": "Not applicable",
    "AdmissionsPolicy (name)": "Not applicable", "SchoolCapacity": "420", "CensusDate": "16-01-2025",
    "NumberOfPupils": "210", "PercentageFSM": "18.5", "TrustSchoolFlag (name)": "Not applicable",
    "Trusts (name)": "", "SchoolSponsorFlag (name)": "Not applicable",
    "FederationFlag (name)": "Not under a federation", "OpenDate": "", "CloseDate": "",
    "LastChangedDate": "01-10-2025", "Town": "Peterborough", "Postcode": "PE1 1AA",
    "HeadTitle (name)": "Mrs", "HeadFirstName": "Jane", "HeadLastName": "Smith",
    "HeadPreferredJobTitle": "Headteacher", "GOR (name)": "East of England", "UrbanRural (name)": "Urban city and town",
    "OfstedRating (name)": "", "OfstedLastInsp": "", "Country (name)": "United Kingdom",
}


def gias_row(urn: str, values: Mapping[str, str] | None = None, **fields: object) -> dict[str, str]:
    """A plausible row for one school; `fields` use ALIASES (name=..., phase=...), `values` real column names."""
    row = dict(DEFAULTS)
    row["URN"] = urn
    row["EstablishmentName"] = f"School {urn}"
    row["EstablishmentNumber"] = urn[-4:]
    for key, value in fields.items():
        row[ALIASES[key]] = "" if value is None else str(value)
    row.update(values or {})
    return row


def write_gias_csv(path: Path | str, rows: list[dict], extra_columns: bool = True, *,
                   drop_columns: Iterable[str] = (), encoding: str = "cp1252") -> Path:
    """Write rows (dicts keyed by real column names; missing cells blank) as a GIAS extract.

    extra_columns=False writes only the columns the importer reads; drop_columns leaves some out
    (to test a damaged header).
    """
    dropped = set(drop_columns)
    columns = [c for c in (ALL_COLUMNS if extra_columns else REQUIRED_COLUMNS) if c not in dropped]
    path = Path(path)
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])
    return path


# --- A whole national extract ---------------------------------------------------------------
# Fictional from end to end: invented places, saints' names, people and trusts. Used by the
# benchmarks and by `python -m app generate` so that every measurement runs on the same data.

NATIONAL_SEED = 20261124
ALWAYS_LA = "874"  # one LA every national extract has (the GIAS benchmark filters on it)

PLACES = ["Ashby", "Barrowfield", "Bramley", "Castleford", "Danbury", "Eastwick", "Fenwick", "Greystoke",
          "Hartwell", "Ivybridge", "Kingsmead", "Langley", "Marston", "Netherton", "Oakham", "Pennington",
          "Queensbury", "Redhill", "Saltmarsh", "Thornbury", "Upton", "Westbrook", "Yarwood", "Alderley",
          "Beckfield", "Coldharbour", "Dunmore", "Elmstead", "Foxley", "Gorsebrook", "Holmwood", "Ketton"]
SAINTS = ["St Mary’s", "St Peter’s", "St John’s", "St Thérèse’s", "St Anne’s", "St Joseph’s", "Holy Trinity",
          "St Michael’s", "Christ Church", "St Andrew’s", "Our Lady’s", "St Benedict’s"]
FEATURES = ["Meadow", "Brook", "Park", "Hill", "Green", "Vale", "Fields", "Wood", "Lane", "Common"]
FIRST = ["Jane", "Tom", "Aisha", "Siân", "Mohammed", "Claire", "David", "Priya", "Chloé", "Gareth",
         "Helen", "Oluwaseun", "Patrick", "Zoë", "Rachel", "Imran", "Fiona", "Stuart", "Bronwen", "Kwame"]
LAST = ["Smith", "O’Connor", "Patel", "Jones", "Williams", "Nowak", "Hughes", "Khan", "Brown", "Müller",
        "Taylor", "Evans", "Okafor", "Wright", "Clarke", "Ahmed", "Davies", "Murphy", "Lefèvre", "Green"]
TITLES = ["Mrs", "Mr", "Ms", "Miss", "Dr", "Not applicable", ""]
TRUST_WORDS = ["Learning", "Education", "Academies", "Schools", "Inspire", "Horizon", "Unity", "Compass"]
RATINGS = [("Outstanding", 14), ("Good", 52), ("Requires improvement", 15), ("Inadequate", 3),
           ("Special Measures", 2), ("Serious Weaknesses", 1), ("Satisfactory", 3), ("", 10)]
STATUSES = [("Open", 80), ("Closed", 16), ("Open, but proposed to close", 2), ("Proposed to open", 2)]
# (type, phase or None for "Not applicable", ages, weight)
TYPES = [
    ("Community school", "Primary", (4, 11), 18), ("Community school", "Primary", (4, 7), 3),
    ("Community school", "Primary", (7, 11), 3), ("Community school", "Secondary", (11, 16), 3),
    ("Voluntary aided school", "Primary", (4, 11), 7), ("Voluntary controlled school", "Primary", (4, 11), 5),
    ("Foundation school", "Secondary", (11, 18), 2), ("Academy converter", "Primary", (4, 11), 14),
    ("Academy converter", "Secondary", (11, 18), 5), ("Academy sponsor led", "Primary", (3, 11), 4),
    ("Academy sponsor led", "Secondary", (11, 16), 2), ("Free schools", "All-through", (4, 18), 1),
    ("Free schools", "Secondary", (11, 18), 1), ("Local authority nursery school", "Nursery", (2, 5), 1),
    ("Community school", "Middle deemed secondary", (9, 13), 1), ("Academy 16-19 converter", "16 plus", (16, 19), 1),
    ("Community special school", None, (2, 19), 3), ("Academy special converter", None, (3, 19), 2),
    ("Non-maintained special school", None, (5, 19), 1), ("Pupil referral unit", None, (5, 16), 1),
    ("Academy alternative provision converter", None, (11, 16), 1), ("Further education", None, (16, 99), 1),
    ("Sixth form centres", None, (16, 19), 1), ("Other independent school", None, (3, 18), 9),
    ("Other independent special school", None, (7, 19), 3), ("Welsh establishment", None, (4, 11), 2),
    ("Higher education institutions", None, (18, 99), 1), ("Children's centre", None, (0, 5), 3),
]


def _pick(rng: random.Random, weighted):
    return rng.choices([w[:-1] if len(w) > 2 else w[0] for w in weighted], [w[-1] for w in weighted])[0]


def _las(rng: random.Random) -> list[tuple[str, str]]:
    codes = sorted(rng.sample(range(201, 940), 149))
    codes = sorted({*codes[:149], int(ALWAYS_LA)})
    names = [f"{rng.choice(PLACES)}{rng.choice(['shire', ' City', ' and District', ' Borough', ''])}" for _ in codes]
    return [(f"{c:03d}", n) for c, n in zip(codes, names, strict=True)]


def _postcode(rng: random.Random) -> str:
    area = rng.choice(["PE", "CB", "NR", "LE", "NG", "S", "M", "B", "LS", "BS", "SO", "PO", "TN", "E", "SW"])
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"{area}{rng.randint(1, 29)} {rng.randint(0, 9)}{rng.choice(letters)}{rng.choice(letters)}"


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days))


def national_extract(path: Path | str, rows: int = 50_000, *, seed: int = NATIONAL_SEED, roll_change: int = 0) -> Path:
    """A fictional national extract with `rows` establishments over about 150 LAs (always including
    LA 874): mixed phases, types (some the import skips), statuses and Ofsted ratings on all three
    frameworks. The same seed gives the same file; `roll_change` adds to every roll (a year on)."""
    rng = random.Random(seed)
    las = _las(rng)
    trusts = [f"{rng.choice(PLACES)} {rng.choice(TRUST_WORDS)} Trust" for _ in range(1200)]
    records = []
    for i in range(rows):
        urn = f"{100000 + i * 17 % 899_999:06d}"
        la_code, la_name = las[i % len(las)] if i % 3 else rng.choice(las)
        kind, phase, (low, high) = _pick(rng, TYPES)
        status = _pick(rng, STATUSES)
        place = rng.choice(PLACES)
        stem = rng.choice(SAINTS) if kind.startswith("Voluntary") else f"{place} {rng.choice(FEATURES)}"
        suffix = {"Primary": "Primary School", "Secondary": "Academy" if "cademy" in kind else "High School",
                  "Nursery": "Nursery School", "All-through": "School", "16 plus": "Sixth Form College",
                  "Middle deemed secondary": "Middle School"}.get(phase or "", "School")
        if phase == "Primary" and high <= 7:
            suffix = "Infant School"
        elif phase == "Primary" and low >= 7:
            suffix = "Junior School"
        if kind.startswith("Voluntary") and rng.random() < 0.5:
            suffix = "Catholic " + suffix
        opened = _day(rng, date(1950, 1, 1), date(2024, 9, 1)) if rng.random() < 0.6 else None
        closed = _day(rng, opened or date(2000, 1, 1), date(2025, 8, 31)) if status == "Closed" else None
        if status == "Proposed to open":
            opened, closed = _day(rng, date(2026, 9, 1), date(2027, 9, 1)), None
        rating = _pick(rng, RATINGS)
        inspected = _day(rng, date(2008, 1, 1), date(2026, 3, 1)) if rating or rng.random() < 0.3 else None
        if rating == "Satisfactory" and inspected:
            inspected = _day(rng, date(2008, 1, 1), date(2012, 8, 31))
        academy = "cademy" in kind or "Free" in kind
        records.append(gias_row(
            urn, name=f"{stem} {suffix}", type=kind, phase=phase or "Not applicable",
            status=status, la_code=la_code, la_name=la_name, trust=rng.choice(trusts) if academy else "",
            pupils=rng.randint(15, 1900) + roll_change if status != "Proposed to open" else "",
            fsm=f"{rng.uniform(0, 65):.1f}" if rng.random() < 0.85 else "",
            head_title=rng.choice(TITLES), head_first=rng.choice(FIRST), head_last=rng.choice(LAST),
            postcode=_postcode(rng), opened=opened.strftime("%d-%m-%Y") if opened else "",
            closed=closed.strftime("%d-%m-%Y") if closed else "", low_age=low, high_age=high,
            rating=rating, inspected=inspected.strftime("%d-%m-%Y") if inspected else "",
        ))
    return write_gias_csv(path, records)
