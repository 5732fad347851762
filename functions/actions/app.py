"""actions: the pages behind the signed links in emails. GET shows a confirmation page
(mail scanners open every link), POST acts: a manager's "contacted", "not interested",
"call later" (`/actions/{token}`), a rejected lead's questionnaire (`/feedback/{token}`).
No Cognito here: the signed token in the path is the credential (leadflow.lifecycle.links)."""
# ruff: noqa: E402 (the imports follow the collector's pause)

from leadflow.shared import coldstart

PAUSED = coldstart.paused_for_init()  # no garbage collection until init is done (its end, below)

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadflow.console.site import ConsoleConfig
from leadflow.lifecycle.links.pages import LinkPages, Page
from leadflow.lifecycle.schedules import reminders_for
from leadflow.lifecycle.store import LifecycleStore
from leadflow.shared import tracing
from leadflow.shared.bus import EventPublisher
from leadflow.shared.secrets import SecretKeys
from leadflow.shared.settings import ActionsSettings
from leadflow.storage.table import Table

settings = ActionsSettings.from_env()
logger = Logger()
tracer = tracing.tracer()  # Powertools' Tracer only with detailed tracing on
metrics = Metrics()
table = Table(settings.table_name)
pages = LinkPages(LifecycleStore(table), EventPublisher(settings.event_bus_name),
                  SecretKeys(settings.action_link_secret_arn), reminders=reminders_for(settings, table),
                  console_url=settings.console_url)
app = APIGatewayRestResolver()


def answer(page: Page) -> Response:
    # Ids and the outcome only: never the token (a credential) nor what the person typed.
    logger.info("link page", extra={"code": page.code, "status": page.status, "lead_id": page.lead_id,
                                    "method": app.current_event.http_method})
    metrics.add_metric(name=f"LinkPage_{page.code}", unit=MetricUnit.Count, value=1)
    return Response(status_code=page.status, content_type="text/html; charset=utf-8", body=page.html,
                    headers=page.headers())


def _language() -> str | None:
    return app.current_event.headers.get("accept-language")


@app.get("/actions/<token>")
def show_action(token: str) -> Response:
    return answer(pages.show_action(token, _language()))


@app.post("/actions/<token>")
def take_action(token: str) -> Response:
    event = app.current_event
    return answer(pages.take_action(token, event.body, event.headers.get("content-type"), _language(),
                                    is_base64=event.is_base64_encoded))


@app.get("/feedback/<token>")
def show_feedback(token: str) -> Response:
    return answer(pages.show_feedback(token, _language()))


@app.post("/feedback/<token>")
def send_feedback(token: str) -> Response:
    event = app.current_event
    return answer(pages.send_feedback(token, event.body, event.headers.get("content-type"), _language(),
                                      is_base64=event.is_base64_encoded))


@app.not_found
def unknown_path(_error: Exception) -> Response:
    return answer(pages.not_found(_language()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    if not settings.console_url:
        # The stack's own console (ConsoleUrl names none): its URL comes with the request,
        # a stage variable, since the API names this function (no environment for it).
        pages.console_url = ConsoleConfig.from_stage(event.get("stageVariables")).console_url
    return app.resolve(event, context)


coldstart.init_done(PAUSED)  # the module is loaded: init is done
