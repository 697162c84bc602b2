"""What every uploaded CSV must be before its rows are read: a file chosen, not empty, not a
workbook or a PDF whatever its name says, and named as a CSV."""

from pathlib import PureWindowsPath

from app.errors import FieldError, ValidationFailed

# What a spreadsheet or a PDF begins with: a file of these is not a CSV whatever its name says.
NOT_TEXT = {b"PK\x03\x04": "an Excel workbook or another zip file", b"\xd0\xcf\x11\xe0": "an old Excel workbook",
            b"%PDF": "a PDF"}


def not_text(content: bytes) -> str | None:
    """What the file is, in words, when its first bytes say it is not text."""
    return next((what for magic, what in NOT_TEXT.items() if content.startswith(magic)), None)


def check_csv_upload(file_name: str | None, content: bytes, *, nothing_chosen: str) -> str:
    """The uploaded file's own name, or 422 naming the `file` field: none chosen (`nothing_chosen`
    says what to choose), empty, not a CSV."""
    name = PureWindowsPath(file_name or "").name.strip()  # some browsers send C:\fakepath\...
    problem = None
    if not name:
        problem = nothing_chosen
    elif not content:
        problem = "the selected file is empty"
    elif (what := not_text(content)) is not None:
        problem = f"the selected file is {what}, not a CSV: in Excel use File > Save As > CSV UTF-8, and upload that"
    elif not name.lower().endswith((".csv", ".txt")):
        problem = "the selected file must be a CSV (a name ending .csv)"
    if problem is not None:
        raise ValidationFailed([FieldError("file", problem)])
    return name[:255]
