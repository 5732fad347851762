"""Reading a CSV file for an import: encodings, separators, the header mapped to the
fields capture knows, each row checked as a post is, and the file cut into chunks."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from leadflow.capture.importing.csv_file import MAX_FILE_BYTES, MAX_ROWS, FileRefused, read_csv
from leadflow.capture.importing.rows import check_row, row_fingerprint, row_submission_id
from leadflow.capture.importing.service import CHUNK_BYTES, CHUNK_ROWS, ImportJob, ImportRequest, _chunks
from leadflow.capture.importing.store import ImportRecord
from leadflow.shared.hashing import PersonalDataHasher
from leadflow.shared.models import FormConfig

FORM = FormConfig(form_id="expo", name="Expo", default_country="FR")


class FixedKey:
    def signing_key(self) -> bytes:
        return b"k" * 32


def codes(error: FileRefused) -> list[str]:
    return [e.code for e in error.errors]


def test_utf8_with_a_bom_is_read_and_the_bom_is_not_part_of_the_first_header():
    parsed = read_csv("\ufeffEmail,Name\nana@acme.fr,Ana Lopez\n".encode())
    assert (parsed.encoding, parsed.columns) == ("utf-8-sig", {"Email": "email", "Name": "name"})
    assert parsed.rows[0].fields == {"email": "ana@acme.fr", "name": "Ana Lopez"}


def test_a_windows_1252_file_from_excel_keeps_its_accents_and_semicolons():
    data = "Prénom;Nom;Courriel;Société\nJosé;Müller;jose@acme.fr;Café Noël\n".encode("cp1252")
    parsed = read_csv(data, {"Courriel": "email", "Prénom": "first_name", "Nom": "last_name"})
    assert (parsed.encoding, parsed.separator) == ("cp1252", ";")
    assert parsed.rows[0].fields == {"first_name": "José", "last_name": "Müller", "email": "jose@acme.fr",
                                     "société": "Café Noël"}


def test_headers_go_through_captures_aliases_and_quoted_cells_keep_their_separators():
    parsed = read_csv(b'Email Address,Tel,Company Name,Comments,Booth\n'
                      b'a@b.co,+33 6 12 34 56 78,"Acme, Inc","line one\nline two",B12\n')
    assert parsed.columns == {"Email Address": "email", "Tel": "phone", "Company Name": "company",
                              "Comments": "message", "Booth": "booth"}
    assert parsed.rows[0].fields["company"] == "Acme, Inc"
    assert parsed.rows[0].fields["message"] == "line one\nline two"


def test_rows_are_numbered_as_a_spreadsheet_shows_them_blank_lines_included():
    parsed = read_csv(b"Email\n\na@b.co\n,\nc@d.co\n")
    assert [row.number for row in parsed.rows] == [3, 5]


def test_an_explicit_mapping_can_drop_a_column_and_must_name_real_columns_and_fields():
    parsed = read_csv(b"Email,Notes\na@b.co,secret\n", {"Notes": "ignore"})
    assert parsed.rows[0].fields == {"email": "a@b.co"}
    with pytest.raises(FileRefused) as refused:
        read_csv(b"Email\na@b.co\n", {"Mail": "email", "Email": "nickname"})
    assert sorted(codes(refused.value)) == ["unknown_column", "unknown_field"]


@pytest.mark.parametrize(("data", "code"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_text"),
    ("Email\na@b.co\n".encode("utf-16"), "not_text"),
    (b"", "no_usable_header"),
    (b"Name,Company\nAna,Acme\n", "no_usable_header"),  # no email or phone column
    (b"jane@acme.com,Jane\nbob@acme.com,Bob\n", "no_usable_header"),  # no header row at all
    (b"Email,Name\n", "no_rows"),
    (b"Email\n" + b"a@b.co\n" * (MAX_ROWS + 1), "too_many_rows"),
    (b"Email\n" + b"x" * MAX_FILE_BYTES, "file_too_large"),
])
def test_a_file_that_cannot_be_imported_is_refused_with_a_stable_code(data, code):
    with pytest.raises(FileRefused) as refused:
        read_csv(data)
    assert codes(refused.value) == [code]


def test_a_row_is_checked_exactly_as_a_post_to_the_form():
    good = check_row(FORM, 2, {"name": "Ana", "phone": "06 12 34 56 78"}, campaign="salon-2026")
    assert good.valid is not None and good.valid.contact.phone == "+33612345678"
    assert good.valid.source.utm_campaign == "salon-2026"
    bad = check_row(FORM, 7, {"company": "Acme"})
    assert bad.valid is None
    assert [(r.row, r.field, r.code) for r in bad.refusals] == [
        (7, None, "person_required"), (7, "name", "name_required"), (7, "email", "contact_required")]
    assert check_row(FORM, 8, {"name": "Ana", "email": "nope"}).refusals[0].code == "invalid_email"


def test_the_same_row_into_the_same_form_is_one_import_whatever_its_spelling():
    hasher = PersonalDataHasher(FixedKey())
    one = check_row(FORM, 2, {"name": "Ana  Lopez", "email": "ANA@acme.fr"}).valid
    two = check_row(FORM, 9, {"name": "Ana Lopez", "email": "ana@acme.fr "}).valid
    other = check_row(FORM, 3, {"name": "Ana Lopez", "email": "ana@acme.fr", "company": "Acme"}).valid
    assert one and two and other
    assert row_fingerprint("expo", one, hasher) == row_fingerprint("expo", two, hasher)
    assert row_fingerprint("expo", one, hasher) != row_fingerprint("expo", other, hasher)
    assert row_fingerprint("expo", one, hasher) != row_fingerprint("webinar", one, hasher)
    assert row_submission_id("i1", 2) == row_submission_id("i1", 2) != row_submission_id("i1", 3)


def test_ten_thousand_rows_are_cut_into_chunks_of_at_most_a_hundred_rows_in_file_order():
    rows = [(n, {"email": f"p{n}@acme.com", "name": f"P {n}"}) for n in range(2, MAX_ROWS + 2)]
    chunks = list(_chunks(rows))
    assert len(chunks) == MAX_ROWS // CHUNK_ROWS
    assert [c.number for c in chunks] == list(range(1, len(chunks) + 1))
    assert [n for c in chunks for n, _ in c.rows] == [n for n, _ in rows]


def test_long_rows_make_smaller_chunks_so_a_chunk_always_fits_an_item():
    rows = [(n, {"email": f"p{n}@acme.com", "message": "x" * 3900}) for n in range(2, 302)]
    chunks = list(_chunks(rows))
    assert all(len(c.rows) < CHUNK_ROWS for c in chunks)
    assert all(sum(len(f["message"]) for _, f in c.rows) <= CHUNK_BYTES for c in chunks)
    assert sum(len(c.rows) for c in chunks) == 300


def test_a_jobs_status_and_progress_follow_its_counts():
    record = ImportRecord(import_id="i", form_id="expo", created_at="2026-12-01T10:00:00Z", created_by="user:a",
                          rows=10, to_store=8, chunks=1, refused=2)
    assert (ImportJob.of(record).status, ImportJob.of(record).progress) == ("storing", 0.0)
    stored = record.model_copy(update={"chunks_done": 1, "stored_new": 6, "unchanged": 2})
    assert (ImportJob.of(stored).status, ImportJob.of(stored).progress) == ("routing", round(8 / 14, 4))
    routed = stored.model_copy(update={"routed": 6, "completed_at": datetime(2026, 12, 1, 10, 1, tzinfo=timezone.utc)})
    assert (ImportJob.of(routed).status, ImportJob.of(routed).progress) == ("completed", 1.0)


def test_the_file_travels_in_base64_and_anything_else_is_refused():
    assert ImportRequest(form_id="expo", file="RW1haWwK").file_bytes() == b"Email\n"
    with pytest.raises(FileRefused) as refused:
        ImportRequest(form_id="expo", file="not base64!").file_bytes()
    assert codes(refused.value) == ["not_base64"]
