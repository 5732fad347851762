"""capture: POST /forms/{form_id}/submissions from a landing page."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.capture import FormCatalog, capture_submission
from leadflow.errors import CaptureError
from leadflow.repository import LeadRepository
from leadflow.settings import CaptureSettings
from leadflow.web import accepted, prefers_json, refused

settings = CaptureSettings.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()
repository = LeadRepository(settings.table_name)
forms = FormCatalog(repository)


@app.post("/forms/<form_id>/submissions")
@tracer.capture_method
def submit(form_id: str) -> Response:
    event = app.current_event
    captured = capture_submission(
        forms, repository, form_id, body=event.body,
        content_type=event.headers.get("content-type") or event.headers.get("Content-Type"),
        is_base64=event.is_base64_encoded,
    )
    submission = captured.submission
    # Ids only: contact data never goes to the logs.
    logger.info("submission accepted", extra={
        "form_id": form_id, "lead_id": submission.lead_id,
        "submission_id": submission.submission_id, "new_lead": submission.is_new_lead,
    })
    metrics.add_metric(name="SubmissionAccepted", unit=MetricUnit.Count, value=1)
    return accepted(captured, prefers_json(event.headers))


@app.exception_handler(CaptureError)
def refuse(error: CaptureError) -> Response:
    logger.info("submission refused", extra={"status": error.status, "codes": [e.code for e in error.errors]})
    metrics.add_metric(name="SubmissionRefused", unit=MetricUnit.Count, value=1)
    return refused(error, prefers_json(app.current_event.headers))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
