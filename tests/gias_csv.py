"""Write GIAS establishment extracts (edubasealldata*.csv) for tests and benchmarks.

The header uses the real column names in the real order (a realistic subset of the ~140), and
the file is cp1252-encoded as DfE publishes it.
"""

import csv
from collections.abc import Iterable, Mapping
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
