"""Placeholder: replaced by the helper that owns the signed action links."""

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

app = APIGatewayRestResolver()


def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
