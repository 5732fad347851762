"""capture: POST /forms/{form_id}/submissions from a landing page (and its preflight)."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.capture.errors import CaptureError
from leadflow.capture.fallback import FallbackQueue
from leadflow.capture.http import accepted, header, prefers_json, preflight, refused
from leadflow.capture.service import CaptureService, FormCatalog, PostedForm
from leadflow.capture.store import CaptureStore
from leadflow.shared import aws, tracing
from leadflow.shared.hashing import PersonalDataHasher
from leadflow.shared.secrets import SecretKeys
from leadflow.shared.settings import CaptureSettings
from leadflow.storage.table import Table

settings = CaptureSettings.from_env()
logger = Logger()
tracer = tracing.tracer()  # Powertools' Tracer only with detailed tracing on
metrics = Metrics()
app = APIGatewayRestResolver()
# A visitor is waiting: few, quick retries, then the fallback queue takes the post.
store = CaptureStore(Table(settings.table_name, aws.lazy_client("dynamodb", "person_waiting")))
forms = FormCatalog(store)
capture = CaptureService(forms, store, FallbackQueue(settings.fallback_queue_url),
                         hasher=PersonalDataHasher(SecretKeys(settings.hash_key_secret_arn)))


@app.post("/forms/<form_id>/submissions")
@tracer.capture_method
def submit(form_id: str) -> Response:
    event = app.current_event
    captured = capture.capture(PostedForm(
        form_id=form_id, body=event.body, content_type=header(event.headers, "content-type"),
        is_base64=event.is_base64_encoded, client_ip=event.request_context.identity.source_ip,
        origin=header(event.headers, "origin"),
    ))
    # Ids only: contact data never goes to the logs.
    logger.info("submission accepted", extra={
        "form_id": form_id, "outcome": captured.outcome, "lead_id": captured.lead_id,
        "submission_id": captured.submission_id, "new_lead": captured.is_new_lead,
    })
    metrics.add_metric(name=f"Submission{captured.outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    return accepted(captured, prefers_json(event.headers), header(event.headers, "origin"))


@app.route("/forms/<form_id>/submissions", method="OPTIONS")
def preflight_submit(form_id: str) -> Response:
    return preflight(forms.get(form_id), header(app.current_event.headers, "origin"))


@app.exception_handler(CaptureError)
def refuse(error: CaptureError) -> Response:
    logger.info("submission refused", extra={"status": error.status, "codes": [e.code for e in error.errors]})
    metrics.add_metric(name="SubmissionRefused", unit=MetricUnit.Count, value=1)
    headers = app.current_event.headers
    return refused(error, prefers_json(headers), header(headers, "origin"), header(headers, "referer"))


@app.not_found
def unknown_path(_error: Exception) -> Response:
    # A path the routes can't read (`/forms/?/submissions`): the same error shape as the rest.
    return refused(CaptureError.single(404, "not_found", "There is nothing at this address."), True)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
