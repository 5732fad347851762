"""Reading an uploaded CSV file: its encoding, its separator, its header mapped to the
fields Leadflow knows (through capture's own ALIASES, plus an explicit mapping).

A file is refused whole, with a stable code, when it cannot be an import: not text, over
the size or row limit, no header naming an email or phone column. Rows are read here
and checked one by one elsewhere (leadflow.capture.importing.rows)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from leadflow.capture.fields import SOURCE_FIELDS, WELL_KNOWN, field_key
from leadflow.shared.http import FieldError
from leadflow.shared.refusal import Invalid

MAX_FILE_BYTES = 4 * 1024 * 1024  # under Lambda's 6 MB request once base64-encoded in JSON
MAX_ROWS = 10_000
MAX_COLUMNS = 100
IGNORE = "ignore"  # an explicit mapping's target that drops the column
SEPARATORS = (",", ";")
_UTF8_BOM = b"\xef\xbb\xbf"
# Control characters no text file holds (tab, LF, CR, form feed are fine).
_BINARY = frozenset(range(0, 32)) - {9, 10, 12, 13}


class FileRefused(Invalid):
    """The file as a whole cannot be imported; nothing was written."""

    code = "invalid_import"


def refuse(code: str, message: str, field: str | None = "file") -> FileRefused:
    return FileRefused([FieldError(field=field, code=code, message=message)], message)


@dataclass(frozen=True)
class CsvRow:
    """One data row: its number as a spreadsheet shows it (the header is row 1) and its
    cells by Leadflow field name (empty cells left out)."""

    number: int
    fields: dict[str, str]


@dataclass(frozen=True)
class CsvFile:
    encoding: str  # utf-8-sig, utf-8 or cp1252
    separator: str
    columns: dict[str, str]  # header as written -> the field it fills (IGNORE: dropped)
    rows: list[CsvRow]


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and encoding: UTF-8 with or without a BOM, else Windows-1252 (what
    Excel writes as "CSV"). Refused as `not_text` when it holds control bytes (a
    spreadsheet, an image, UTF-16) or is neither."""
    if len(data) > MAX_FILE_BYTES:
        raise refuse("file_too_large", f"the file is over {MAX_FILE_BYTES // (1024 * 1024)} MB: split it")
    if any(byte in _BINARY for byte in data[:65536]):
        raise refuse("not_text", "this is not a text file: save the sheet as CSV (UTF-8 or Windows)")
    if data.startswith(_UTF8_BOM):
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise refuse("not_text", "the file is neither UTF-8 nor Windows-1252 text") from None


def sniff_separator(header_line: str) -> str:
    """`,` or `;` (Excel's in countries with a decimal comma): the one the header line
    holds more of, outside quotes; `,` on a tie."""
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return max(SEPARATORS, key=lambda s: (counts[s], s == ","))


def map_columns(headers: list[str], mapping: dict[str, str] | None = None) -> dict[str, str]:
    """Each header → the field it fills: the explicit `mapping` first (header as written
    → a known field, or `ignore`), else capture's field names and ALIASES (`E-mail` →
    `email`, `Nombre` → `first_name`); other columns are kept as custom fields."""
    mapping = mapping or {}
    known = (*WELL_KNOWN, *SOURCE_FIELDS)
    errors = [FieldError(field=f"mapping.{header}", code="unknown_field",
                         message=f"{target!r} is not a field Leadflow knows ({', '.join(known)}, or {IGNORE})")
              for header, target in mapping.items() if target != IGNORE and target not in known]
    errors += [FieldError(field=f"mapping.{header}", code="unknown_column", message="the file has no such column")
               for header in mapping if header not in headers]
    if errors:
        raise FileRefused(errors, "the mapping does not fit the file")
    return {header: mapping.get(header) or field_key(header) for header in headers}


def read_csv(data: bytes, mapping: dict[str, str] | None = None) -> CsvFile:
    """The file's rows by field name; FileRefused (one code) when it cannot be imported."""
    text, encoding = decode(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    separator = sniff_separator(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    headers: list[str] | None = None
    columns: dict[str, str] = {}
    rows: list[CsvRow] = []
    try:
        # Numbered as a spreadsheet numbers them: a blank line still takes its number.
        for number, record in enumerate(reader, start=1):
            if not any(cell.strip() for cell in record):
                continue
            if headers is None:
                headers, columns = _header(record, mapping)
                continue
            if len(rows) >= MAX_ROWS:
                raise refuse("too_many_rows", f"over {MAX_ROWS} rows: split the file")
            fields: dict[str, str] = {}
            for header, cell in zip(headers, record, strict=False):
                target = columns[header]
                if target != IGNORE and cell.strip() and not fields.get(target):
                    fields[target] = cell
            rows.append(CsvRow(number, fields))
    except csv.Error as error:
        raise refuse("malformed_csv", f"the file cannot be read as CSV: {error}") from None
    if headers is None:
        raise refuse("no_usable_header", "the file is empty: its first line must name the columns", "header")
    if not rows:
        raise refuse("no_rows", "the file has a header but no rows")
    return CsvFile(encoding=encoding, separator=separator, columns=columns, rows=rows)


def _header(record: list[str], mapping: dict[str, str] | None) -> tuple[list[str], dict[str, str]]:
    """The header row's columns and what each fills; refused when none is an email or phone."""
    headers = [cell.strip() for cell in record]
    if len(headers) > MAX_COLUMNS:
        raise refuse("too_many_columns", f"over {MAX_COLUMNS} columns", "header")
    columns = map_columns(headers, mapping)
    if not set(columns.values()) & {"email", "phone"}:
        raise refuse("no_usable_header", "no column of the first line is an email or a phone: name them "
                     "(Email, Phone...) or map them (--map 'Courriel=email')", "header")
    return headers, columns
