"""capture: POST /forms/{form_id}/submissions from a landing page (and its preflight),
POST /forms/{form_id}/google-ads from Google Ads lead forms (leadflow.capture.google_ads),
and GET /forms/{form_id}/challenge: a proof-of-work challenge for the page to solve.

Routed here, not by Powertools' resolver (see leadflow.capture.http): a post, its
preflight, and the same 404 for any other method or path; a CaptureError from either
route becomes `refused`, anything else fails the invocation (API Gateway's 502)."""
# ruff: noqa: E402 (the imports follow the collector's pause)

from leadflow.shared import coldstart

PAUSED = coldstart.paused_for_init()  # no garbage collection until init is done (its end, below)

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.capture.errors import CaptureError
from leadflow.capture.fallback import FallbackQueue
from leadflow.capture.google_ads import capture_google_lead, google_ads_form_of
from leadflow.capture.http import (
    Response,
    accepted,
    challenge_answer,
    challenge_of,
    header,
    json_response,
    prefers_json,
    preflight,
    refused,
    request_headers,
    submissions_of,
)
from leadflow.capture.service import CaptureService, FormCatalog, PostedForm
from leadflow.capture.store import CaptureStore
from leadflow.referrals.attribution import PartnerCatalog
from leadflow.referrals.store import PartnerStore
from leadflow.shared import aws, tracing
from leadflow.shared.clock import utc_now
from leadflow.shared.hashing import PersonalDataHasher
from leadflow.shared.secrets import KeyUnavailable, SecretKeys
from leadflow.shared.settings import CaptureSettings
from leadflow.storage.table import Table

settings = CaptureSettings.from_env()
# Imported after the rest, on measurement: imported first (as sorted), it took capture's
# init from 1.13x to 1.23x the baseline (bench/cold_start.py, CPU, medians of 11), the
# time going to urllib3's URL patterns compiled under it (no module of ours is slower).
from leadflow.capture.captcha import BotCheck, SecretStrings, TurnstileVerifier, new_challenge  # noqa: I001

logger = Logger()
tracer = tracing.tracer()  # Powertools' Tracer only with detailed tracing on
metrics = Metrics()
# A visitor is waiting: few, quick retries, then the fallback queue takes the post.
store = CaptureStore(Table(settings.table_name, aws.lazy_client("dynamodb", "person_waiting")))
forms = FormCatalog(store)
keys = SecretKeys(settings.hash_key_secret_arn)  # hashes of personal data, and the challenges' key
turnstile = TurnstileVerifier(SecretStrings(settings.turnstile_secret_prefix,
                                            aws.lazy_client("secretsmanager", "person_waiting")),
                              url=settings.turnstile_verify_url)
capture = CaptureService(forms, store, FallbackQueue(settings.fallback_queue_url),
                         hasher=PersonalDataHasher(keys), bots=BotCheck(keys, turnstile),
                         partners=PartnerCatalog(PartnerStore(store.table)))


@tracer.capture_method
def submit(event: dict[str, Any], headers: dict[str, str], form_id: str) -> Response:
    captured = capture.capture(PostedForm(
        form_id=form_id, body=event.get("body"), content_type=header(headers, "content-type"),
        is_base64=event.get("isBase64Encoded"), client_ip=event["requestContext"]["identity"]["sourceIp"],
        origin=header(headers, "origin"), ref=(event.get("queryStringParameters") or {}).get("ref"),
    ))
    # Ids only: contact data never goes to the logs.
    logger.info("submission accepted", extra={
        "form_id": form_id, "outcome": captured.outcome, "lead_id": captured.lead_id,
        "submission_id": captured.submission_id, "new_lead": captured.is_new_lead,
    })
    metrics.add_metric(name=f"Submission{captured.outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    return accepted(captured, prefers_json(headers), header(headers, "origin"))


@tracer.capture_method
def submit_google_ads(event: dict[str, Any], form_id: str) -> Response:
    captured = capture_google_lead(capture, form_id, event.get("body"), bool(event.get("isBase64Encoded")))
    logger.info("google ads lead accepted", extra={
        "form_id": form_id, "outcome": captured.outcome, "lead_id": captured.lead_id,
        "submission_id": captured.submission_id, "new_lead": captured.is_new_lead,
    })
    metrics.add_metric(name=f"GoogleAdsLead{captured.outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    return json_response(200, {"submission_id": captured.submission_id, "status": "accepted"})


def preflight_submit(headers: dict[str, str], form_id: str) -> Response:
    return preflight(forms.get(form_id), header(headers, "origin"))


def challenge(headers: dict[str, str], form_id: str) -> Response:
    form = forms.get(form_id)
    if form.captcha != "altcha" and not form.proof_when_capped:
        raise CaptureError.single(404, "no_challenge", "This form asks for no proof of work.", "form_id", form=form)
    try:
        signed = new_challenge(form.form_id, keys, utc_now())
    except KeyUnavailable:  # the post is then kept unverified: the page may post without a proof
        raise CaptureError.single(503, "challenge_unavailable", "No challenge can be made now.", form=form) from None
    metrics.add_metric(name="ChallengeIssued", unit=MetricUnit.Count, value=1)
    return challenge_answer(form, signed, header(headers, "origin"))


def refuse(error: CaptureError, headers: dict[str, str]) -> Response:
    logger.info("submission refused", extra={"status": error.status, "codes": [e.code for e in error.errors]})
    metrics.add_metric(name="SubmissionRefused", unit=MetricUnit.Count, value=1)
    return refused(error, prefers_json(headers), header(headers, "origin"), header(headers, "referer"))


def unknown_path() -> Response:
    # A path the routes can't read (`/forms/?/submissions`), or another method: the
    # same error shape as the rest.
    return refused(CaptureError.single(404, "not_found", "There is nothing at this address."), True)


def answer(event: dict[str, Any]) -> Response:
    headers = request_headers(event)
    method = event["httpMethod"].upper()
    form_id = submissions_of(event["path"])
    try:
        if form_id is not None and method == "POST":
            return submit(event, headers, form_id)
        if (google_form := google_ads_form_of(event["path"])) is not None and method == "POST":
            return submit_google_ads(event, google_form)
        if form_id is not None and method == "OPTIONS":
            return preflight_submit(headers, form_id)
        if method == "GET" and (challenged := challenge_of(event["path"])) is not None:
            return challenge(headers, challenged)
        return unknown_path()
    except CaptureError as error:
        return refuse(error, headers)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return answer(event).proxy_result()


coldstart.init_done(PAUSED)  # the module is loaded: init is done
