"""What to do about a refused webhook, in the words of the person who set the provider up.

An audit row's reason is short and stable ("bad signature"): it is the HTTP
answer's detail too, which the provider's own logs show, and what the trail's
search finds. The Details dialog adds what it means for this provider and what
to change, where; a reason that already says so (a secret not saved, a field
the CRM could not take) gets nothing more.
"""

from __future__ import annotations

from crm_app.services.webhook_parse import SENT_TO_ANOTHER_URL, UNREADABLE
from crm_app.services.webhook_types import MAX_BODY_BYTES
from crm_app.services.webhook_verify import TWILIO_SHARED_KEY

_INTEGRATIONS = "the Integrations page"

_BAD_SIGNATURE = {
    "vapi": (
        "The secret Vapi sent is not the one saved here. Copy the server secret (or the HMAC "
        f"credential's secret) from Vapi again and save it on {_INTEGRATIONS}."
    ),
    "twilio": (
        "Twilio signed this with another auth token, or for another address. Check the auth "
        f"token on {_INTEGRATIONS}, and that the phone number's webhook is exactly the Twilio "
        "URL shown there (https, nothing added)."
    ),
    "make": (
        "The scenario did not sign with the Make secret saved here: after Regenerate, the old "
        "secret stops working. Put the new one in the scenario's HTTP module."
    ),
}
_MISSING_SIGNATURE = {
    "vapi": (
        "Vapi sent no credential. In Vapi, give the server URL a credential (a server secret, "
        f"or HMAC) and save the same secret on {_INTEGRATIONS}."
    ),
    "twilio": (
        "Twilio signs every request it sends: this one did not come from Twilio, or something "
        "between Twilio and this server removed its X-Twilio-Signature header."
    ),
    "make": (
        "The scenario's HTTP module sends neither a webhook-signature nor an x-make-apikey "
        "header: add an x-make-apikey header holding the Make secret (shown when you "
        f"regenerate it on {_INTEGRATIONS})."
    ),
}
_BY_REASON = {
    TWILIO_SHARED_KEY: (
        "A Webhook Rule in your Twilio account matches this URL, so Twilio signs with the "
        "rule's SharedKey, which the CRM does not hold: it checks Twilio's requests with the "
        f"auth token saved on {_INTEGRATIONS}. Take this URL out of the rule, and Twilio "
        "signs with the auth token again."
    ),
    "wrong API key": (
        "The scenario sent an API key that is not the Make secret saved here: after "
        "Regenerate, the old one stops working. Put the new one in the scenario's HTTP module."
    ),
    "stale timestamp": (
        "Only requests signed in the last 5 minutes are taken, so that a copied request cannot "
        "be sent again later. An old delivery resent by hand is refused: have the provider send "
        "a new one. If every request is refused, the sender's clock is wrong."
    ),
    "body too large": (
        f"Events are limited to {MAX_BODY_BYTES // 1024} KiB. A Make scenario that maps a whole "
        "bundle into the body should send only the fields the event needs."
    ),
    "body is not valid JSON": (
        "The body was cut short or is not JSON. In a Make HTTP module, choose the body type "
        "Raw with content type JSON, and check the JSON it builds."
    ),
    "expected a JSON object": (
        "The body is JSON, but not an object ({...}): send the event's fields in an object."
    ),
    "missing webhook-id or webhook-timestamp": (
        "A Standard Webhooks signature needs its webhook-id and webhook-timestamp headers too. "
        "Or send the secret alone, as x-make-apikey."
    ),
    UNREADABLE: (
        "The secret named above cannot be read with the server's current encryption key (was "
        f"ENCRYPTION_KEY changed?). Save it again on {_INTEGRATIONS}: a Make.com secret is "
        "regenerated there, then put into the scenario."
    ),
}


def what_to_do(provider: str, status: str, reason: str) -> str:
    """Advice for a refused event, or "" when its reason says all there is."""
    if status != "rejected" or SENT_TO_ANOTHER_URL in reason:
        return ""
    if reason == TWILIO_SHARED_KEY:
        return _BY_REASON[reason]
    if reason.startswith("bad signature"):
        return _BAD_SIGNATURE.get(provider, "")
    if reason.startswith("missing signature:"):  # names the header to use already
        return ""
    if reason.startswith("missing signature"):
        return _MISSING_SIGNATURE.get(provider, "")
    return next((advice for start, advice in _BY_REASON.items() if reason.startswith(start)), "")
