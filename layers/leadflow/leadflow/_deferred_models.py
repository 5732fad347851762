"""Every pydantic model of the process builds its validator when it is first used, not
when its class is defined (pydantic's `defer_build`, made the default here).

A Lambda function imports far more models than one request uses: the leads API defines
the request and response models of every route, capture every event's and setting's.
Building each model's core schema at class creation was 20-25% of the leads API's cold
start; deferred, a request builds only the models it validates or serialises, once per
container. What a model accepts and returns does not change, only when it is compiled.

pydantic has no public switch for a process-wide default, so this sets the default its
ConfigWrapper falls back to; tests/unit/test_deferred_models.py fails if a pydantic
upgrade moves it."""

from __future__ import annotations

from pydantic._internal import _config

_config.config_defaults["defer_build"] = True
