"""Log lines never carry a session token or an event's router data and payload."""

from __future__ import annotations

import logging

import pytest
from reflex.utils import exceptions
from reflex_base.event import Event

from crm_app.core import log_scrub

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"


@pytest.fixture
def scrubbed_logging():
    """The record factory as the app installs it, put back afterwards."""
    before = logging.getLogRecordFactory()
    log_scrub.install()
    log_scrub.install()  # twice, as a reloaded module would: still one layer
    yield
    logging.setLogRecordFactory(before)


def test_an_unroutable_event_is_logged_by_its_name_only(scrubbed_logging, caplog):
    event = Event(
        name="state.integrations_state.save_api_key",
        router_data={"headers": {"cookie": f"crm_session={TOKEN}"}, "pathname": "/integrations"},
        payload={"form_data": {"service": "vapi", "api_key": "RAW-KEY-0123456789"}},
    )
    # As Reflex's event processor words it.
    logging.getLogger("reflex_base.event.processor").error(
        f"Error processing event queue entry for {event} [txid=abc]:"
    )
    (line,) = caplog.messages
    assert "state.integrations_state.save_api_key" in line
    assert "RAW-KEY" not in line and TOKEN not in line and "crm_session=" not in line


def test_a_token_is_cut_out_wherever_it_appears(scrubbed_logging, caplog):
    logging.getLogger("anything").warning("cookie header: crm_session=%s; theme=dark", TOKEN)
    assert caplog.messages == ["cookie header: crm_session=[token]; theme=dark"]


def test_other_lines_are_left_alone(scrubbed_logging, caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("anything").info("webhook for %s with an unknown token refused", "vapi")
    assert caplog.messages == ["webhook for vapi with an unknown token refused"]


def test_a_malformed_call_does_not_raise_where_it_is_made(scrubbed_logging):
    make_record = logging.getLogRecordFactory()
    record = make_record("anything", logging.WARNING, __file__, 1, "%d", ("x",), None)
    assert (record.msg, record.args) == ("%d", ("x",))  # reported by the handler, at emit


def _log_unroutable(name: str) -> None:
    """As Reflex's event processor does for an event whose name no handler has."""
    event = Event(name=name, router_data={}, payload={})
    try:
        try:
            {}[name]
        except KeyError as error:
            raise KeyError(f"No registered handler found for event: {name}") from error
    except KeyError:
        logging.getLogger("reflex_base.event.processor").exception(
            f"Error processing event queue entry for {event} [txid=abc]:"
        )


def test_an_event_no_handler_takes_is_one_line_without_traceback(scrubbed_logging, caplog):
    _log_unroutable("state.integrations_state.save_api_key_of_an_older_page")
    (record,) = caplog.records
    assert record.exc_info is None and record.exc_text is None
    assert caplog.text.strip() == (
        "ERROR    reflex_base.event.processor:test_log_scrub.py:"
        f"{record.lineno} Error processing event queue entry for "
        "Event(name='state.integrations_state.save_api_key_of_an_older_page', "
        "[router data and payload not logged]): no handler by that name, dropped"
    )


def test_a_huge_event_name_is_cut_and_its_length_said(scrubbed_logging, caplog):
    name = "x" * 100_000
    _log_unroutable(name)
    (line,) = caplog.messages
    assert len(line) < 400
    assert f"Event(name='{'x' * log_scrub.MAX_EVENT_NAME_LOGGED}...' (100000 characters)" in line


def test_other_errors_keep_their_traceback(scrubbed_logging, caplog):
    try:
        raise KeyError("lead_id")
    except KeyError:
        logging.getLogger("anything").exception("saving a lead failed")
    (record,) = caplog.records
    assert record.exc_info is not None
    assert "Traceback" in caplog.text


# An event as a JSON string, with line breaks that would forge log lines if kept.
SAVED_KEY = '{"name": "state.integrations_state.save_key", "payload": {"api_key": "RAW-KEY-42"}}\n'


@pytest.mark.parametrize(
    "line",
    [
        # Reflex's on_event, word for word (found by a probe, each with the key in the log).
        "Received event data as a string. This generally should not happen and may indicate "
        f"a bug. Event data: {SAVED_KEY}ERROR forged line",
        "Received event from session sid-1 with no associated token. This may indicate a "
        f"bug. Event data: {SAVED_KEY}",
    ],
)
def test_an_event_reflex_quotes_in_a_warning_is_not_logged(scrubbed_logging, caplog, line):
    logging.getLogger("reflex.app").warning(line)
    (message,) = caplog.messages
    assert message.endswith("Event data: [not logged]")
    assert "RAW-KEY" not in message and "forged" not in message


def test_an_event_that_cannot_be_read_is_one_line_without_its_data(scrubbed_logging, caplog):
    try:
        raise exceptions.EventDeserializationError(
            f"Event data must be a dictionary, but received ['RAW-KEY-42'] of type {list}."
        )
    except exceptions.EventDeserializationError:
        logging.getLogger("socketio.server").exception("message async handler error")
    (record,) = caplog.records
    assert record.exc_info is None and "RAW-KEY" not in caplog.text
    assert caplog.messages == [
        "message async handler error: an event that could not be read, dropped"
    ]


def test_a_tabs_token_is_not_logged(scrubbed_logging, caplog):
    token = "0b6f8a52-3f1e-4c8e-9a43-7d2a1c9e5b10"
    logging.getLogger("reflex.app").warning(
        f"Attempting to send delta to disconnected client {token!r}"
    )
    # Reflex's Redis state manager, naming the token and the state.
    logging.getLogger("reflex.istate").warning(
        f"Lock for token {token}/reflex___state____state was held too long time_taken=3.1s"
    )
    assert caplog.messages == [
        "Attempting to send delta to disconnected client [tab token not logged]",
        "Lock for token [tab token not logged]/reflex___state____state was held too long "
        "time_taken=3.1s",
    ]
