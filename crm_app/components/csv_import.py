"""The CSV import dialog: choose a file, match columns with a preview, watch progress, summary."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from crm_app.components.dialogs import dialog_title
from crm_app.components.feedback import error_callout
from crm_app.services.csv_io import MAX_FILE_BYTES, MAX_ROWS
from crm_app.state.csv_import import MAX_FILE_MB, CsvImportState, Rejection

UPLOAD_ID = "csv_import_file"
# The dialog's edge stays inside a phone's screen, less the margin Radix keeps around it.
DIALOG_MAX_WIDTH = "min(52em, calc(100vw - 2 * var(--space-4)))"


def _refuse_file(rejected: ArrayVar) -> rx.event.EventSpec:
    """Tell the state why the browser refused the file: its name and the reasons' codes.

    Only those travel, worked out in the browser: the refused File itself would
    go over the websocket whole, the very upload its size limit was to stop.
    """
    first = rejected.to(ArrayVar)[0].to(ObjectVar)
    errors = first["errors"].to(ArrayVar)
    return CsvImportState.refuse_file(
        first["file"].to(ObjectVar)["name"],
        errors.map(lambda error: error.to(ObjectVar)["code"]),
    )


def _upload_step() -> rx.Component:
    return rx.vstack(
        rx.text(
            "A CSV file whose first row names the columns, such as name, phone, "
            f"email. Up to {MAX_ROWS:,} rows and {MAX_FILE_MB} MB.",
            size="2",
        ),
        rx.upload(
            rx.vstack(
                rx.icon("upload", size=24),
                rx.text("Drop a CSV file here, or", size="2"),
                rx.button("Choose a file", type="button", variant="soft", size="2"),
                align="center",
                spacing="2",
            ),
            id=UPLOAD_ID,
            multiple=False,
            max_files=1,
            max_size=MAX_FILE_BYTES,
            accept={"text/csv": [".csv"], "text/plain": [".csv", ".txt"]},
            # The upload goes by HTTP, whose refusal (401: logged out in another
            # tab) the page never hears of; the websocket event beside it finds out.
            on_drop=[
                CsvImportState.check_session,
                CsvImportState.read_file(rx.upload_files(upload_id=UPLOAD_ID)),
            ],
            # The browser keeps back a file over max_size or outside accept: say why.
            on_drop_rejected=_refuse_file,
            # One Tab stop, the button (whose click the zone turns into the file
            # chooser), not the zone as well: the zone is for the mouse's drop.
            no_keyboard=True,
            border=f"2px dashed {rx.color('gray', 7)}",
            border_radius="0.75em",
            padding="2em",
            width="100%",
            data_testid="csv-dropzone",
        ),
        rx.cond(CsvImportState.reading, rx.hstack(rx.spinner(), rx.text("Reading…", size="2"))),
        rx.hstack(
            rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
            justify="end",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _column_choice(header: rx.Var[str], index: rx.Var[int]) -> rx.Component:
    return rx.table.column_header_cell(
        rx.vstack(
            rx.text(header, size="1", color=rx.color("gray", 11), truncate=True),
            rx.select.root(
                rx.select.trigger(aria_label=rx.Var.create("Field for column ") + header),
                rx.select.content(
                    rx.foreach(
                        CsvImportState.field_options,
                        lambda option: rx.select.item(
                            CsvImportState.field_labels[option], value=option
                        ),
                    )
                ),
                value=CsvImportState.mapping[index],
                on_change=lambda field: CsvImportState.set_column(index, field),
                size="1",
            ),
            spacing="1",
        ),
        min_width="9em",
    )


def _map_step() -> rx.Component:
    return rx.vstack(
        rx.text(
            rx.text.strong(CsvImportState.file_name),
            ": ",
            CsvImportState.rows_text,
            ". Check which field each column fills; the first rows are shown below.",
            size="2",
        ),
        rx.text(
            "First, middle and last names are joined into the name. A row with no phone or email "
            "in its column takes one from another column named for it (Mobile Phone, "
            "E-mail 2…). A column of dates (Date Added, created_at) keeps when each new row was "
            "created; without one, rows count as created today.",
            size="1",
            color=rx.color("gray", 11),
        ),
        rx.cond(
            CsvImportState.encoding_note != "",
            rx.callout(
                CsvImportState.encoding_note,
                icon="info",
                color_scheme="amber",
                size="1",
                data_testid="csv-encoding-note",
            ),
        ),
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(rx.foreach(CsvImportState.headers, _column_choice))),
                rx.table.body(
                    rx.foreach(
                        CsvImportState.preview,
                        lambda row: rx.table.row(
                            rx.foreach(row, lambda cell: rx.table.cell(rx.text(cell, size="1")))
                        ),
                    )
                ),
                size="1",
                variant="surface",
            ),
            overflow_x="auto",
            width="100%",
            data_testid="csv-preview",
        ),
        rx.vstack(
            rx.el.label(
                "When a row's phone or email is already saved",
                html_for="csv-on-duplicate",
                font_size="0.85em",
                font_weight="500",
            ),
            rx.select.root(
                rx.select.trigger(id="csv-on-duplicate", aria_label="When a row is a duplicate"),
                rx.select.content(
                    rx.select.item("Skip the row", value="skip"),
                    rx.select.item("Update the saved one with the row's values", value="update"),
                ),
                value=CsvImportState.on_duplicate,
                on_change=CsvImportState.set_on_duplicate,
            ),
            spacing="1",
        ),
        rx.hstack(
            rx.button(
                "Choose another file",
                variant="soft",
                color_scheme="gray",
                on_click=CsvImportState.choose_another_file,
            ),
            rx.button("Import", on_click=CsvImportState.start),
            justify="end",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _progress_step() -> rx.Component:
    return rx.vstack(
        rx.text(
            CsvImportState.progress_text,
            size="2",
            role="status",
            aria_live="polite",
        ),
        rx.progress(
            value=CsvImportState.progress,
            max=100,
            width="100%",
            aria_label="Import progress",
            data_testid="csv-progress",
        ),
        spacing="2",
        width="100%",
    )


def _rejection(item: Rejection) -> rx.Component:
    return rx.table.row(
        rx.table.cell(item.row),
        rx.table.cell(rx.text(item.reason, size="1", word_break="break-word")),
    )


def _summary_step() -> rx.Component:
    return rx.vstack(
        rx.progress(
            value=CsvImportState.progress, max=100, width="100%", aria_label="Import progress"
        ),
        rx.grid(
            *(
                rx.vstack(
                    rx.text(label, size="1", color=rx.color("gray", 11)),
                    rx.text(
                        CsvImportState.summary_counts[count],
                        size="5",
                        weight="bold",
                        data_testid=f"import-{count}",
                    ),
                    spacing="0",
                )
                for label, count in (
                    ("Created", "created"),
                    ("Updated", "updated"),
                    ("Skipped as duplicate", "duplicates"),
                    ("Rejected", "rejected"),
                )
            ),
            columns=rx.breakpoints(initial="2", sm="4"),
            spacing="3",
            width="100%",
            data_testid="import-summary",
        ),
        rx.cond(
            CsvImportState.not_imported.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Row"),
                            rx.table.column_header_cell("Why it was not imported"),
                        )
                    ),
                    rx.table.body(rx.foreach(CsvImportState.not_imported, _rejection)),
                    size="1",
                ),
                max_height="14em",
                overflow_y="auto",
                width="100%",
                data_testid="import-rejections",
            ),
        ),
        rx.hstack(
            rx.button(
                "Import another file", variant="soft", on_click=CsvImportState.choose_another_file
            ),
            rx.dialog.close(rx.button("Done")),
            justify="end",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def csv_import_dialog() -> rx.Component:
    """The dialog; open it with CsvImportState.open_for("leads") or ("contacts")."""
    return rx.dialog.root(
        rx.dialog.content(
            dialog_title(CsvImportState.title),
            rx.dialog.description(
                "Rows whose phone or email is already saved are duplicates; bad rows are "
                "listed with their row number.",
                size="2",
                color=rx.color("gray", 11),
                margin_bottom="0.75em",
            ),
            error_callout(CsvImportState.error),
            rx.match(
                CsvImportState.step,
                ("map", _map_step()),
                ("importing", _progress_step()),
                ("done", _summary_step()),
                _upload_step(),
            ),
            # A percentage would not do: the preview's wide table stretches what it refers to.
            max_width=DIALOG_MAX_WIDTH,
            data_testid="csv-import-dialog",
        ),
        open=CsvImportState.open,
        on_open_change=CsvImportState.set_open,
    )
