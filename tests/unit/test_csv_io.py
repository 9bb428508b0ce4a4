"""Reading uploaded CSV files: encodings, headers, delimiters, malformed quotes, huge cells,
formula cells (kept as typed on import, escaped on export)."""

from __future__ import annotations

import pytest

from crm_app.services.csv_io import (
    CONTACT_FIELDS,
    LEAD_FIELDS,
    MAX_COLUMNS,
    MAX_ROWS,
    CsvFileError,
    CsvRecord,
    escape_cell,
    fallback_columns,
    import_columns,
    looks_like_formula,
    parse_csv,
    plural,
    record_values,
    suggest_mapping,
    unescape_cell,
)
from crm_app.services.errors import InvalidInput


def _parse(text: str | bytes, fields=LEAD_FIELDS):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_csv(data, fields=fields)


def test_parse_csv_matches_columns_by_header_and_numbers_rows_like_a_spreadsheet() -> None:
    parsed = _parse(
        "Full Name,Phone Number,E-mail,Stage,Ignored\r\n"
        "Ana,415 555 2671,a@x.io,new,z\r\n"
        "\r\n"
        "Bob,,b@x.io,won,\r\n"
    )
    assert parsed.headers == ["Full Name", "Phone Number", "E-mail", "Stage", "Ignored"]
    assert parsed.mapping == {0: "name", 1: "phone", 2: "email", 3: "status"}
    assert [(r.number, r.cells[0]) for r in parsed.records] == [(2, "Ana"), (4, "Bob")]
    assert parsed.preview(1) == [["Ana", "415 555 2671", "a@x.io", "new", "z"]]


def test_parse_csv_reads_a_utf8_bom_semicolons_and_quoted_newlines() -> None:
    data = '\ufeffname;company;notes\n"Zoë";"Acme; Inc";"line one\nline two"\n'.encode()
    parsed = parse_csv(data, fields=CONTACT_FIELDS)
    assert parsed.mapping == {0: "name", 1: "company", 2: "notes"}
    assert parsed.records[0].cells == ["Zoë", "Acme; Inc", "line one\nline two"]


def test_parse_csv_reads_tab_separated_files() -> None:
    assert _parse("name\tphone\nAna\t+14155552671\n").records[0].cells == ["Ana", "+14155552671"]


@pytest.mark.parametrize(
    "above",
    [
        "",
        "\n",
        "\n\n",
        "Leads export\n",
        "Leads export\nMarch 2026\n\n",
        "\ufeffLeads\n",
        # A title with another separator in it than the header's.
        "Leads export, March 2026\n",
        "Leads; all of them\n",
    ],
)
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_parse_csv_finds_the_header_below_blank_or_title_lines(above: str, delimiter: str) -> None:
    text = (
        above + delimiter.join(["name", "phone"]) + "\n" + delimiter.join(["Ana", "+1415"]) + "\n"
    )
    parsed = parse_csv(text.encode(), fields=LEAD_FIELDS)
    assert parsed.mapping == {0: "name", 1: "phone"}
    assert [record.cells for record in parsed.records] == [["Ana", "+1415"]]
    assert parsed.records[0].number == text.count("\n")  # numbered as the spreadsheet shows it


def test_a_title_with_a_comma_above_semicolons_and_quoted_cells_is_read_by_its_header() -> None:
    # Excel quotes a cell holding the separator: read with commas (the title's), that row
    # was malformed ("text after its closing quote") before any header was looked for.
    text = 'Leads export, March 2026\nname;phone;email\n"Lee; Ann";+14155550100;ann@x.com\n'
    parsed = parse_csv(text.encode(), fields=LEAD_FIELDS)
    assert parsed.mapping == {0: "name", 1: "phone", 2: "email"}
    assert parsed.records[0].cells == ["Lee; Ann", "+14155550100", "ann@x.com"]


def test_a_malformed_file_is_told_as_its_own_separator_reads_it() -> None:
    with pytest.raises(CsvFileError, match="unclosed quote"):
        _parse('name,phone\nAna,+1415\n"Bo,+1416\n')


def test_a_header_further_down_than_a_title_is_not_looked_for() -> None:
    with pytest.raises(CsvFileError, match="must be a header"):
        _parse("".join(f"title {n}\n" for n in range(6)) + "name,phone\nAna,+1415\n")


def test_suggest_mapping_gives_each_field_to_its_first_column_only() -> None:
    assert suggest_mapping(["email", "Email Address", "name"], LEAD_FIELDS) == {
        0: "email",
        2: "name",
    }


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Patient Name", "Tel No.", "Email"], {0: "name", 1: "phone", 2: "email"}),
        (["Patient", "Mobile No.", "Home Tel"], {0: "name", 1: "phone"}),
        (["Client", "Telephone Number"], {0: "name", 1: "phone"}),
    ],
)
def test_suggest_mapping_knows_the_headers_a_british_practice_uses(
    headers: list[str], expected: dict[int, str]
) -> None:
    # Found by QA as a Manchester dental practice: "Patient Name" was ignored, and the
    # import made leads with no name.
    assert suggest_mapping(headers, LEAD_FIELDS) == expected


def test_of_two_columns_naming_a_field_the_one_filled_in_more_rows_wins() -> None:
    headers = ["Home Phone", "Mobile Phone", "Name"]
    rows = [["", "415 555 0150", "Ada"], ["415 555 0199", "415 555 0151", "Bob"]]
    records = [CsvRecord(number, cells) for number, cells in enumerate(rows, start=2)]
    assert suggest_mapping(headers, LEAD_FIELDS, records) == {1: "phone", 2: "name"}
    assert suggest_mapping(headers, LEAD_FIELDS, records[1:]) == {0: "phone", 2: "name"}


# The first columns of each export, as written on 2026-12 (Google Contacts' file since 2024,
# its earlier "Google CSV", Outlook's "CSV (Windows)").
GOOGLE_CONTACTS = (
    "First Name,Middle Name,Last Name,Phonetic First Name,Nickname,Organization Name,"
    "Organization Title,Birthday,Notes,Labels,E-mail 1 - Label,E-mail 1 - Value,"
    "Phone 1 - Label,Phone 1 - Value\n"
    "Ada,M.,Lovelace,,,Analytical Co,,,Met at the expo,* myContacts,* Home,ada@x.io,"
    "Mobile,(415) 555-0150\n"
    "Prince,,,,,,,,,,,,Mobile,415 555 0151\n"
)
GOOGLE_CSV_BEFORE_2024 = (
    "Name,Given Name,Additional Name,Family Name,Notes,E-mail 1 - Type,E-mail 1 - Value,"
    "Phone 1 - Type,Phone 1 - Value,Organization 1 - Name\n"
    "Ada Lovelace,Ada,,Lovelace,,* Home,ada@x.io,Mobile,(415) 555-0150,Analytical Co\n"
)
OUTLOOK = (
    "First Name,Middle Name,Last Name,Title,Company,Job Notes,Business Phone,Mobile Phone,"
    "E-mail Address\n"
    "Ada,,Lovelace,,Analytical Co,Roof leak,,(415) 555-0150,ada@x.io\n"
)


@pytest.mark.parametrize(
    ("text", "fields", "expected"),
    [
        (
            GOOGLE_CONTACTS,
            CONTACT_FIELDS,
            {
                0: "first_name",
                1: "middle_name",
                2: "last_name",
                5: "company",
                8: "notes",
                11: "email",
                13: "phone",
            },
        ),
        (
            GOOGLE_CSV_BEFORE_2024,
            CONTACT_FIELDS,
            {
                0: "name",
                1: "first_name",
                2: "middle_name",
                3: "last_name",
                4: "notes",
                6: "email",
                8: "phone",
                9: "company",
            },
        ),
        (
            OUTLOOK,
            LEAD_FIELDS,
            # "Business Phone" comes first, but is empty: "Mobile Phone" has the numbers.
            {0: "first_name", 1: "middle_name", 2: "last_name", 5: "notes", 7: "phone", 8: "email"},
        ),
    ],
)
def test_exports_of_google_contacts_and_outlook_find_their_columns(
    text: str, fields: tuple[str, ...], expected: dict[int, str]
) -> None:
    assert _parse(text, fields).mapping == expected


def test_a_jobber_client_export_finds_its_phone_and_email_columns() -> None:
    parsed = _parse(
        "Display Name,Company Name,Main Phone #s,Mobile Phone #s,E-mails\n"
        "Lee Ames,,512-555-1800,,lee@ames.com\n"
        "Kim Roe,Roe Roofing,,512-555-1801,\n",
        CONTACT_FIELDS,
    )
    assert parsed.mapping == {0: "name", 1: "company", 2: "phone", 4: "email"}
    fallbacks = fallback_columns(parsed.headers, parsed.mapping)
    lee, kim = (record_values(r, parsed.headers, parsed.mapping, fallbacks) for r in parsed.records)
    assert (lee["phone"], lee["email"]) == ("512-555-1800", "lee@ames.com")
    assert kim["phone"] == "512-555-1801"  # from Mobile Phone #s, Main being blank


@pytest.mark.parametrize(
    ("cell", "phone"),
    [
        ("512-555-1800, 512-555-1802", "512-555-1800"),
        ("512-555-1800 / (512) 555-1802", "512-555-1800"),
        ("512-555-1800\n512-555-1802", "512-555-1800"),
        ("512-555-1800; 512-555-1802", "512-555-1800"),
        ("512-555-1800, ext. 12", "512-555-1800, ext. 12"),  # one number, with its extension
    ],
)
def test_a_cell_of_several_numbers_gives_its_first(cell: str, phone: str) -> None:
    quoted = cell.replace('"', '""')
    parsed = _parse(f'name,phone\nLee,"{quoted}"\n')
    assert record_values(parsed.records[0], parsed.headers, parsed.mapping)["phone"] == phone


@pytest.mark.parametrize(
    ("cell", "email"),
    [
        ("lee@ames.com, lee@work.com", "lee@ames.com"),
        ("lee@ames.com;lee@work.com", "lee@ames.com"),
        ("lee@ames.com\nlee@work.com", "lee@ames.com"),
        ("lee@ames.com lee@work.com", "lee@ames.com"),
        ("lee@ames.com", "lee@ames.com"),
        ("not an email", "not an email"),  # refused later as one, naming the field
    ],
)
def test_a_cell_of_several_emails_gives_its_first(cell: str, email: str) -> None:
    # Jobber's "E-mails": the whole cell was refused as "not a valid email address",
    # and the person's name and phone went with it.
    quoted = cell.replace('"', '""')
    parsed = _parse(f'name,email\nLee,"{quoted}"\n')
    assert record_values(parsed.records[0], parsed.headers, parsed.mapping)["email"] == email


def test_a_rows_first_middle_and_last_name_are_joined_when_it_has_no_name_of_its_own() -> None:
    parsed = _parse(GOOGLE_CONTACTS, CONTACT_FIELDS)
    ada, prince = (record_values(r, parsed.headers, parsed.mapping) for r in parsed.records)
    assert ada == {
        "name": "Ada M. Lovelace",
        "company": "Analytical Co",
        "notes": "Met at the expo",
        "email": "ada@x.io",
        "phone": "(415) 555-0150",
    }
    assert prince["name"] == "Prince"  # one part alone is the name
    full = _parse("Name,First Name,Last Name\nAda King,Ada,Lovelace\n", CONTACT_FIELDS)
    # A name of its own wins over its parts.
    assert record_values(full.records[0], full.headers, full.mapping) == {"name": "Ada King"}


def test_a_row_of_group_labels_above_the_header_is_not_taken_for_it() -> None:
    parsed = _parse(
        "Customer,,,Property,,\nName,Phone,Email,Street,City,Zip\n"
        "Lee Ames,512-555-1801,lee@ames.com,1 A St,Austin,78701\n"
    )
    assert parsed.headers[:3] == ["Name", "Phone", "Email"]
    assert parsed.mapping == {0: "name", 1: "phone", 2: "email"}
    assert [record.number for record in parsed.records] == [3]


def test_a_row_of_data_whose_words_name_fields_is_not_taken_for_the_header() -> None:
    parsed = _parse(
        "Name,Number,Type,Preferred contact\n"
        "Ada,4155550150,Customer,Phone\n"  # "Customer" and "Phone" name two fields
        "Bob,bob@x.io,Supplier,Email\n"
    )
    assert parsed.headers == ["Name", "Number", "Type", "Preferred contact"]
    assert [record.cells[0] for record in parsed.records] == ["Ada", "Bob"]


def test_a_name_that_is_a_placeholder_names_no_one() -> None:
    parsed = _parse("First Name,Last Name,Name,Notes\nN/A,-,none,n/a\n")
    values = record_values(parsed.records[0], parsed.headers, parsed.mapping)
    assert values == {"name": "", "notes": "n/a"}  # blank: "needs a name, phone or email"


def test_a_surname_that_spells_a_placeholder_is_kept() -> None:
    parsed = _parse("First Name,Last Name,Phone\nHye-won,Na,NA\n")
    values = record_values(parsed.records[0], parsed.headers, parsed.mapping)
    assert values == {"name": "Hye-won Na", "phone": ""}  # in the phone cell, still "none"


def test_a_column_headed_number_is_not_taken_for_the_phone() -> None:
    # A row number, a job number, an account number: not a phone.
    assert _parse("Number,Name,Phone #\n1,Ana,415 555 0150\n").mapping == {1: "name", 2: "phone"}


def test_an_export_wider_than_a_hundred_columns_is_read() -> None:
    headers = [
        "First Name",
        "Last Name",
        *(f"Custom Field {n}" for n in range(150)),
        "E-mail 1 - Value",
    ]
    row = ["Ada", "Lovelace", *([""] * 150), "ada@x.io"]
    parsed = _parse(",".join(headers) + "\n" + ",".join(row) + "\n", CONTACT_FIELDS)
    assert parsed.mapping == {0: "first_name", 1: "last_name", 152: "email"}
    with pytest.raises(CsvFileError, match=f"more than {MAX_COLUMNS} columns"):
        _parse(",".join(["name"] * (MAX_COLUMNS + 1)) + "\nAna\n")


@pytest.mark.parametrize("placeholder", ["N/A", "n/a", "none", "-", "—", "TBD", "unknown", "?"])
def test_a_placeholder_in_a_phone_or_email_cell_is_a_blank_cell(placeholder: str) -> None:
    parsed = _parse(f"name,phone,email,notes\nAna,{placeholder},{placeholder},{placeholder}\n")
    values = record_values(parsed.records[0], parsed.headers, parsed.mapping)
    # Notes keep what was typed: only a phone or an email has no use for it.
    assert values == {"name": "Ana", "phone": "", "email": "", "notes": placeholder}


@pytest.mark.parametrize(
    ("exported", "status"),
    [
        ("In Progress", "contacted"),
        ("ATTEMPTED_TO_CONTACT", "contacted"),
        ("Open Deal", "qualified"),
        ("Closed - Converted", "won"),
        ("Unqualified", "lost"),
        ("Won", "Won"),  # ours already: left for the lead's own check
        ("Hot lead", "Hot lead"),  # no one's: refused by that check, saying which are
    ],
)
def test_another_crms_lead_status_is_read_as_the_one_that_means_the_same(
    exported: str, status: str
) -> None:
    parsed = _parse(f"name,status\nAna,{exported}\n")
    assert record_values(parsed.records[0], parsed.headers, parsed.mapping)["status"] == status


def test_an_email_copied_from_a_link_loses_its_mailto() -> None:
    parsed = _parse("name,email\nAna, MAILTO:ana@x.io \n")
    assert record_values(parsed.records[0], parsed.headers, parsed.mapping)["email"] == "ana@x.io"


def test_a_row_blank_in_the_phone_column_takes_its_number_from_another_named_for_it() -> None:
    parsed = _parse(
        "First Name,Last Name,Business Phone,Mobile Phone,Home Phone,E-mail Address\n"
        "Ada,L,,415 555 0150,,ada@x.io\n"
        "Bob,B,415 555 0151,415 555 0199,,\n"
        "Cid,C,415 555 0152,,,\n"
        "Dee,D,,,415 555 0153,\n"
    )
    assert parsed.mapping[2] == "phone"  # the column filled in most rows
    fallbacks = fallback_columns(parsed.headers, parsed.mapping)
    assert fallbacks == {2: [3, 4]}
    phones = [
        record_values(r, parsed.headers, parsed.mapping, fallbacks)["phone"] for r in parsed.records
    ]
    assert phones == ["415 555 0150", "415 555 0151", "415 555 0152", "415 555 0153"]
    # A column matched to a field by hand is that field's, not a spare number.
    by_hand = {**parsed.mapping, 3: "notes"}
    assert fallback_columns(parsed.headers, by_hand) == {2: [4]}


def test_google_contacts_numbered_values_and_shared_cells_give_the_first_filled_one() -> None:
    parsed = _parse(
        "Name,E-mail 1 - Value,E-mail 2 - Value,Phone 1 - Value,Phone 2 - Value\n"
        "Ada,,ada@x.io,415 555 0150 ::: 415 555 0199,\n"
        "Bob,bob@x.io,,N/A,415 555 0151\n",
        CONTACT_FIELDS,
    )
    assert parsed.mapping == {0: "name", 1: "email", 3: "phone"}
    fallbacks = fallback_columns(parsed.headers, parsed.mapping)
    ada, bob = (record_values(r, parsed.headers, parsed.mapping, fallbacks) for r in parsed.records)
    assert (ada["email"], ada["phone"]) == ("ada@x.io", "415 555 0150")
    assert (bob["email"], bob["phone"]) == ("bob@x.io", "415 555 0151")


def test_the_name_parts_are_offered_after_the_name_and_only_with_it() -> None:
    assert import_columns(LEAD_FIELDS)[:4] == ("name", "first_name", "middle_name", "last_name")
    assert import_columns(LEAD_FIELDS)[-1] == "created_at"
    assert import_columns(("phone", "email")) == ("phone", "email", "created_at")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"name,phone\n", "header but no rows"),
        (b"foo,bar\n1,2\n", "must be a header"),
        (b"Ana,+14155552671\nBob,+14155550123\n", "must be a header"),
        # Windows-1252 leaves five bytes undefined: such a file is neither.
        (b"name\nJos\xe9 \x81\n", "not UTF-8"),
        (b"\xff\xfen\x00a\x00m", "starts as UTF-16 text but is not"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b'name\n"unterminated\n', "Row 2: unclosed quote"),
    ],
)
def test_parse_csv_explains_files_it_cannot_use(data: bytes, message: str) -> None:
    with pytest.raises(CsvFileError) as raised:
        _parse(data)
    assert message in raised.value.message
    assert raised.value.errors == {"file": raised.value.message}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # The quote opened in row 3 is never closed: lenient csv made rows 3-4 one cell.
        ('name,notes\nAna,ok\nBob,"called twice\nCid,fine\n', "Row 3: unclosed quote"),
        # Row 2 spans lines 2-3, so row 3 starts on line 4.
        ('name,notes\nAna,"line one\nline two"\nBob,"open\n', "Row 3 (line 4): unclosed quote"),
        # An open quote closed by the next row's quote, then text: caught where it opened.
        ('name,notes\nAna,"open\nBob,"fine"\n', "Row 2: a cell has text after its closing"),
        ('name,notes\nAna,"say "hi""\n', "Row 2: a cell has text after its closing"),
    ],
)
def test_parse_csv_refuses_a_malformed_quote_and_names_its_row(text: str, message: str) -> None:
    with pytest.raises(CsvFileError) as raised:
        _parse(text)
    assert raised.value.message.startswith(message)


def test_parse_csv_reads_doubled_quotes_and_quotes_inside_plain_cells() -> None:
    parsed = _parse('name,notes\nAna,"say ""hi"""\nBob,5" screen\n')
    assert [record.cells for record in parsed.records] == [
        ["Ana", 'say "hi"'],
        ["Bob", '5" screen'],
    ]


def test_parse_csv_refuses_a_file_over_5_mb() -> None:
    with pytest.raises(CsvFileError, match="larger than 5 MB"):
        _parse(b"name\n" + b"x" * (5 * 1024 * 1024))


def test_parse_csv_refuses_more_rows_than_the_limit() -> None:
    with pytest.raises(CsvFileError, match="more than 50,000 rows"):
        _parse("name\n" + "a\n" * (MAX_ROWS + 1))
    assert len(_parse("name\n" + "a\n" * MAX_ROWS).records) == MAX_ROWS


def test_the_row_limit_counts_rows_of_data_not_the_title_or_blank_lines() -> None:
    # "Up to 50,000 rows": a title above the header, or a spreadsheet's thousands of empty
    # formatted rows below the data, made a file of 50,000 rows "more than 50,000".
    titled = "Leads export\n\nname,phone\n" + "a,\n" * MAX_ROWS + ",\n" * 100_000
    parsed = _parse(titled)
    assert len(parsed.records) == MAX_ROWS
    assert parsed.records[-1].number == MAX_ROWS + 3  # numbered as the spreadsheet shows it
    with pytest.raises(CsvFileError, match="more than 50,000 rows"):
        _parse("Leads export\nname,phone\n" + "a,\n" * (MAX_ROWS + 1))


def test_parse_csv_reports_a_huge_cell_with_its_row() -> None:
    with pytest.raises(CsvFileError, match="Row 3 has a cell longer than"):
        _parse("name,notes\nAna,short\nBob," + "x" * 200_000 + "\n")


# --- formula cells


@pytest.mark.parametrize(
    ("value", "formula"),
    [
        ('=HYPERLINK("http://evil")', True),
        ("@SUM(A1)", True),
        ("+cmd|' /C calc'!A0", True),
        ("-2+3+cmd|' /C calc'!A0", True),
        ("-2+3", True),
        ("- called twice", True),
        ("@twitter handle", True),
        ("\t=1", True),
        ("\n=1", True),
        ("+1 (415) 555-2671", True),  # not E.164: the space and brackets are formula syntax
        ("+1e5", True),
        ("+14155552671", False),
        ("-42", False),
        ("+3.5", False),
        ("Ana", False),
        ("a=b", False),
        ("", False),
    ],
)
def test_looks_like_formula(value: str, formula: bool) -> None:
    assert looks_like_formula(value) is formula


@pytest.mark.parametrize(
    "value",
    [
        *("=1+1", "+cmd", "-x", "-2+3", "@me", "\tx", "\rx", "\nx", "plain", "'quoted", ""),
        # Typed with an apostrophe already in front: kept, apostrophe and all.
        *("'=already quoted", "''=twice", "'@me", "'-5", "'+14155552671", "'"),
    ],
)
def test_escape_then_unescape_gives_the_value_back(value: str) -> None:
    escaped = escape_cell(value)
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r", "\n"))
    assert unescape_cell(escaped) == value


@pytest.mark.parametrize("value", ["+14155552671", "+442079460958", "-42", "7", "0.5"])
def test_escape_cell_leaves_an_e164_phone_or_a_plain_number_as_it_is(value: str) -> None:
    assert escape_cell(value) == value
    assert unescape_cell(value) == value


def test_record_values_keeps_text_starting_with_formula_characters_as_typed() -> None:
    record = CsvRecord(number=7, cells=["=1+1", "+14155552671", "- called twice"])
    headers = ["name", "phone", "notes"]
    values = record_values(record, headers, {0: "name", 1: "phone", 2: "notes"})
    assert values == {"name": "=1+1", "phone": "+14155552671", "notes": "- called twice"}
    record = CsvRecord(number=8, cells=["Ana", "", "@twitter handle"])
    assert record_values(record, headers, {0: "name", 2: "notes"})["notes"] == "@twitter handle"


def test_record_values_drops_the_apostrophe_an_export_put_before_a_formula() -> None:
    record = CsvRecord(number=2, cells=["'=1+1", "'+14155552671", "'it''s"])
    values = record_values(record, ["name", "phone", "notes"], {0: "name", 1: "phone", 2: "notes"})
    assert values == {"name": "=1+1", "phone": "+14155552671", "notes": "'it''s"}


def test_record_values_fills_missing_cells_and_refuses_extra_ones() -> None:
    headers, mapping = ["name", "email"], {0: "name", 1: "email"}
    assert record_values(CsvRecord(2, [" Ana "]), headers, mapping) == {"name": "Ana", "email": ""}
    assert (
        record_values(CsvRecord(3, ["Ana", "a@x.io", "", " "]), headers, mapping)["name"] == "Ana"
    )
    with pytest.raises(InvalidInput, match="has 3 cells but the header has 2 columns"):
        record_values(CsvRecord(4, ["Ana", "a@x.io", "surprise"]), headers, mapping)
    with pytest.raises(InvalidInput, match="has 2 cells but the header has 1 column$"):
        record_values(CsvRecord(5, ["Ana", "surprise"]), ["name"], {0: "name"})


@pytest.mark.parametrize(
    ("count", "text"), [(0, "0 rows"), (1, "1 row"), (2, "2 rows"), (2400, "2,400 rows")]
)
def test_plural_says_1_row_and_counts_others_in_rows(count: int, text: str) -> None:
    assert plural(count, "row") == text


def test_a_file_marked_as_utf8_with_a_stray_byte_is_refused_saying_where() -> None:
    # Read as Windows-1252 instead, its accents were garbled and its first column, behind
    # the mark read as three characters, was matched to nothing.
    data = "\ufeffname,phone\nJosé Müller,+14155550100\n".encode() + b"Bo \xff,+14155550101\n"
    with pytest.raises(CsvFileError, match="marked as UTF-8 but line 3 has a byte that is not"):
        _parse(data)


@pytest.mark.parametrize(
    ("data", "note"),
    [
        ("name,phone\nJosé Müller,+14155550100\n".encode(), ""),
        ("\ufeffname,phone\nJosé Müller,+14155550100\n".encode("utf-8"), ""),
        # Excel's "Unicode Text": UTF-16 with a byte order mark, tabs between cells.
        ("name\tphone\nJosé Müller\t+14155550100\n".encode("utf-16"), ""),
        # Excel's "CSV (Comma delimited)" on Windows, with a euro sign only 1252 has.
        ("name,phone,notes\nJosé Müller,+14155550100,owes 5 €\n".encode("cp1252"), "Windows"),
    ],
)
def test_files_from_excel_are_read_in_the_encoding_it_wrote(data: bytes, note: str) -> None:
    parsed = _parse(data)
    assert parsed.records[0].cells[0] == "José Müller"
    assert parsed.records[0].cells[1] == "+14155550100"
    assert (note in parsed.encoding_note) if note else parsed.encoding_note == ""
    if len(parsed.records[0].cells) > 2:
        assert parsed.records[0].cells[2] == "owes 5 €"
