"""Placeholder: replaced by the helper that owns these routes."""

from aws_lambda_powertools.event_handler.api_gateway import Router

router = Router()
