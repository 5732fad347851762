"""Every hash of personal data Leadflow keeps is keyed with the deployment's secret: a
client's IP in its rate counter, a post's fingerprint in its double-submit marker, an
address in its thank-you counter, an erased identifier in the erasure record. A plain
SHA-256 of a guess matches none of them."""

import hashlib
import json

from leadflow.shared.hashing import Purpose
from leadflow_local.stack import LocalStack
from support import all_items, api_event, claims_of, hasher_of, items_of, stores_of

IP = "198.51.100.23"
EMAIL = "ana.keyed@acme-corp.com"


def post(stack: LocalStack, body: dict) -> None:
    response = stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                                 json.dumps(body).encode(), source_ip=IP)
    assert response.status == 202, response.body


def plain_hashes(value: str) -> set[str]:
    """What an unkeyed hash of a guess looks like, in every length Leadflow ever kept."""
    digest = hashlib.sha256(value.encode()).hexdigest()
    return {digest, digest[:24], digest[:32]}


def test_the_rate_counter_and_the_double_submit_marker_are_keyed(stack, table):
    post(stack, {"name": "Ana", "email": EMAIL, "interest": "quote"})

    [counter] = items_of(table, "rate_counter")
    client = counter["PK"].split("#")[2]
    assert client not in plain_hashes(IP)
    assert client == hasher_of(stack).hex(Purpose.CLIENT_IP, IP, 24)
    [marker] = items_of(table, "double_submit")
    fingerprint = marker["PK"].removeprefix("DOUBLE#")
    assert len(fingerprint) == 64 and all(c in "0123456789abcdef" for c in fingerprint)
    # Not the unkeyed hash of the post's canonical form (the old fingerprint).
    canonical = json.dumps(["demo", hashlib.sha256(IP.encode()).hexdigest()[:24],
                            sorted({"name": "Ana", "email": EMAIL, "interest": "quote"}.items())], ensure_ascii=False)
    assert fingerprint != hashlib.sha256(canonical.encode()).hexdigest()


def test_the_thank_you_counter_is_keyed(stack, table):
    forms = stores_of(stack).capture
    forms.put_form(forms.get_form("demo").model_copy(update={"autoresponder": True}))

    post(stack, {"name": "Ana", "email": EMAIL, "interest": "quote"})
    stack.drain()

    [counter] = items_of(table, "autoreply_counter")
    address_hash = counter["PK"].removeprefix("AUTOREPLY#")
    assert address_hash not in plain_hashes(EMAIL) | plain_hashes(f"{stack.table_name()}:{EMAIL}")
    assert address_hash == hasher_of(stack).hex(Purpose.AUTOREPLY_ADDRESS, EMAIL, 32)


def test_the_erasure_record_keeps_a_keyed_hash(stack, table):
    post(stack, {"name": "Ana", "email": EMAIL, "interest": "quote"})
    stack.drain()

    event = api_event("POST", "/erasures", claims=claims_of(admin=True), body={"email": EMAIL})
    result = stack.invoke("LeadsApiFunction", event)

    assert result["statusCode"] == 200, result
    record = json.loads(result["body"])
    assert record["identifier_hmac"] == hasher_of(stack).hex(Purpose.ERASED_IDENTIFIER, EMAIL)
    [stored] = [i for i in all_items(table) if i.get("item_type") == "erasure"]
    text = json.dumps(stored, default=str)
    assert EMAIL not in text and not any(digest in text for digest in plain_hashes(EMAIL))
