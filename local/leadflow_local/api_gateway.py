"""API Gateway (REST, proxy integration) in front of the template's functions.

The routes are the functions' `Api` events; a request becomes the proxy event the
deployed API would send, after the route's Cognito authorizer (auth.py) has let it
through, and the function's answer becomes the HTTP response. Variables that hold one
of the template's API URLs point at the local server instead (`local_api_urls`)."""

from __future__ import annotations

import base64
import gzip
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from leadflow_local.auth import (
    CognitoAuthorizer,
    TokenVerifier,
    Unauthorized,
    authorizer_claims,
    cognito_authorizer,
    route_authorizer,
)
from leadflow_local.managed_login import local_login_url
from leadflow_local.template import FunctionEvent, FunctionSpec, Resolver, Template

Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass
class ApiRoute:
    method: str
    path: str  # template form: /forms/{form_id}/submissions
    function_id: str
    regex: re.Pattern[str]
    authorizer: CognitoAuthorizer | None = None  # None: a public route
    # The stage's variables (the API's `Variables`), as API Gateway passes them with every
    # request; None when the API declares none.
    stage_variables: dict[str, str] | None = None
    # The API's `MinimumCompressionSize`: answers this long or longer are gzipped for a
    # client that accepts gzip; None: the API never compresses.
    minimum_compression_size: int | None = None

    @property
    def greedy(self) -> bool:
        """A `{proxy+}` route: API Gateway tries it only when no other route matches."""
        return "+}" in self.path


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def api_route(template: Template, spec: FunctionSpec, event: FunctionEvent, resolve: Resolver, *,
              region: str, public_url: str) -> ApiRoute:
    """The route an `Api` event of a function declares, with its authorizer and its
    stage's variables (an execute-api URL among them pointing at `public_url`)."""
    props = resolve(event.properties)
    # `{name}` is one path segment; a greedy `{proxy+}` the rest of the path, slashes included.
    pattern = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(props["Path"]))
    regex = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern) + "$")
    return ApiRoute(props["Method"].upper(), props["Path"], spec.logical_id, regex,
                    _route_authorizer(template, event.properties, resolve),
                    _stage_variables(template, event.properties, resolve, region, public_url),
                    _minimum_compression_size(template, event.properties, resolve))


def _minimum_compression_size(template: Template, event_props: dict[str, Any], resolve: Resolver) -> int | None:
    api_ref = event_props.get("RestApiId")
    if not (isinstance(api_ref, dict) and api_ref.get("Ref") in template.resources):
        return None
    size = template.api_properties(api_ref["Ref"]).get("MinimumCompressionSize")
    return None if size is None else int(resolve(size))


def _stage_variables(template: Template, event_props: dict[str, Any], resolve: Resolver, region: str,
                     public_url: str) -> dict[str, str] | None:
    api_ref = event_props.get("RestApiId")
    if not (isinstance(api_ref, dict) and api_ref.get("Ref") in template.resources):
        return None
    declared = template.api_properties(api_ref["Ref"]).get("Variables")
    if not declared:
        return None
    bases = _api_bases(template, resolve, region)
    return {name: _local_url(str(resolve(value)), bases, public_url)
            or local_login_url(str(resolve(value)), public_url) or str(resolve(value))
            for name, value in declared.items()}


def _route_authorizer(template: Template, event_props: dict[str, Any], resolve: Resolver) -> CognitoAuthorizer | None:
    """The authorizer API Gateway runs before this route's function (None: public)."""
    api_ref = event_props.get("RestApiId")
    if not (isinstance(api_ref, dict) and api_ref.get("Ref") in template.resources):
        return None  # SAM's implicit API: no Auth in this template's Globals
    auth = template.api_properties(api_ref["Ref"]).get("Auth", {})
    name = route_authorizer(auth, event_props.get("Auth"), event_props["Method"])
    if name is None:
        return None
    return cognito_authorizer(name, resolve(auth.get("Authorizers", {})[name]))


def local_api_urls(template: Template, spec: FunctionSpec, resolve: Resolver, region: str,
                   public_url: str) -> dict[str, str]:
    """The function's variables that hold one of the template's APIs' execute-api URL
    (such as the signed links' PUBLIC_API_URL), pointing at `public_url` instead: the
    local server serves the routes at its root, without the stage."""
    bases = _api_bases(template, resolve, region)
    local = {}
    for name, value in spec.environment.items():
        url = _local_url(str(resolve(value)), bases, public_url)
        if url is not None:
            local[name] = url
    return local


def _api_bases(template: Template, resolve: Resolver, region: str) -> list[str]:
    """The execute-api base URL (with the stage) of each of the template's APIs."""
    suffix = resolve({"Ref": "AWS::URLSuffix"})
    return [f"https://{resolve({'Ref': lid})}.execute-api.{region}.{suffix}/"
            f"{template.api_properties(lid).get('StageName', '')}".rstrip("/")
            for lid in template.of_type("AWS::Serverless::Api")]


def _local_url(value: str, bases: list[str], public_url: str) -> str | None:
    """`value` on the local server when it is one of the APIs' URLs; None otherwise."""
    for base in bases:
        if value == base or value.startswith(base + "/"):
            return public_url + value[len(base):]
    return None


def local_api_url(template: Template, resolve: Resolver, region: str, public_url: str, value: str) -> str:
    """`value` with one of the template's APIs' execute-api URL (stage included) replaced
    by `public_url`, where the local server serves the routes; any other value as it is."""
    return _local_url(value, _api_bases(template, resolve, region), public_url) or value


class ApiGateway:
    """Serves requests through the routes; `invoke` runs a function (the stack's)."""

    def __init__(self, routes: list[ApiRoute], verifier: Callable[[], TokenVerifier], invoke: Invoke) -> None:
        self.routes = routes
        self._verifier = verifier
        self._invoke = invoke

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes, query: str = "",
               source_ip: str = "127.0.0.1") -> HttpResponse:
        """One request (see `LocalStack.handle_http`)."""
        # API Gateway matches `/console/` to the resource `/console`: a trailing slash is ignored.
        matched = path.rstrip("/") or "/"
        for route in sorted(self.routes, key=lambda r: r.greedy):  # stable: template order otherwise
            match = route.regex.match(matched)
            if match and route.method in (method.upper(), "ANY"):
                claims = None
                if route.authorizer is not None:
                    try:
                        claims = authorizer_claims(self._verifier().verify(route.authorizer, headers))
                    except Unauthorized as refused:
                        return _unauthorized(str(refused))
                event = api_gateway_event(route, match.groupdict(), method, path, headers, body, query, source_ip,
                                          claims)
                return _compressed(_http_response(self._invoke(route.function_id, event)), headers,
                                   route.minimum_compression_size)
        known_path = any(r.regex.match(matched) for r in self.routes)
        status = 405 if known_path else 404
        message = {"message": "Method Not Allowed" if known_path else "Missing Authentication Token"}
        return HttpResponse(status, {"Content-Type": "application/json"}, json.dumps(message).encode())


def _compressed(response: HttpResponse, request_headers: dict[str, str], minimum: int | None) -> HttpResponse:
    """API Gateway's compression: gzip when the API has a minimum size, the answer is at
    least that long, not encoded already, and the client accepts gzip."""
    accepted = next((v for k, v in request_headers.items() if k.lower() == "accept-encoding"), "")
    encoded = any(k.lower() == "content-encoding" for k in response.headers)
    if minimum is None or len(response.body) < minimum or encoded or "gzip" not in accepted.lower():
        return response
    return HttpResponse(response.status, {**response.headers, "Content-Encoding": "gzip"},
                        gzip.compress(response.body, compresslevel=6))


def _unauthorized(message: str) -> HttpResponse:
    """API Gateway's own 401 when its Cognito authorizer refuses a request."""
    return HttpResponse(401, {"Content-Type": "application/json", "x-amzn-ErrorType": "UnauthorizedException"},
                        json.dumps({"message": message}).encode())


def api_gateway_event(route: ApiRoute, path_params: dict[str, str], method: str, path: str,
                      headers: dict[str, str], body: bytes, query: str, source_ip: str,
                      claims: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event, as the deployed API would send it; `claims`
    are the Cognito authorizer's, on a route that has one."""
    try:
        text: str | None = body.decode("utf-8") if body else None
        is_base64 = False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode("ascii"), True
    multi_query = parse_qs(query, keep_blank_values=True) if query else None
    return {
        "resource": route.path, "path": path, "httpMethod": method.upper(),
        "headers": dict(headers), "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} if multi_query else None,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_params or None,
        "stageVariables": dict(route.stage_variables) if route.stage_variables else None,
        "requestContext": {
            "resourcePath": route.path, "httpMethod": method.upper(), "path": f"/v1{path}", "stage": "v1",
            "requestId": str(uuid.uuid4()), "requestTimeEpoch": int(time.time() * 1000),
            "accountId": "123456789012", "apiId": "local",
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent") or headers.get("user-agent")},
            **({"authorizer": {"claims": claims}} if claims is not None else {}),
        },
        "body": text, "isBase64Encoded": is_base64,
    }


def _http_response(result: dict[str, Any]) -> HttpResponse:
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers[key] = ", ".join(str(v) for v in values)
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    return HttpResponse(int(result["statusCode"]), headers, raw)
