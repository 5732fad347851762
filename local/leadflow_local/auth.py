"""API Gateway's Cognito user pool authorizer, done by the local stack.

Which routes need a token is read from template.yaml as SAM reads it (`route_authorizer`);
a token is checked as API Gateway checks it before the function runs (`TokenVerifier`):
an RS256 signature by the pool's keys, the pool's issuer, an ID token for one of the
pool's app clients, not expired. Anything else is answered 401 and the function is never
invoked. The claims reach the function in `requestContext.authorizer.claims`, every value
a string, as a REST API passes them (`authorizer_claims`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadflow_local.template import LOCAL_PARAMETERS, Resolver, Template

# SAM's word for "no authorizer on this route".
NO_AUTHORIZER = "NONE"
# The header API Gateway reads the token from unless the authorizer's Identity says otherwise.
DEFAULT_IDENTITY_HEADER = "Authorization"
# Sign-in flows that take a password, as CreateUserPoolClient spells them (old and new names).
PASSWORD_FLOWS = {"ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"}

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Unauthorized(Exception):
    """A request API Gateway's Cognito authorizer refuses (401); the text is its message."""


@dataclass(frozen=True)
class CognitoAuthorizer:
    """A COGNITO_USER_POOLS authorizer of the template: the pools whose tokens it takes."""

    name: str
    pool_ids: tuple[str, ...]
    token_header: str = DEFAULT_IDENTITY_HEADER


def route_authorizer(api_auth: Mapping[str, Any], event_auth: Mapping[str, Any] | None, method: str) -> str | None:
    """The authorizer SAM puts on a route: the event's own `Auth.Authorizer`, else the
    API's `DefaultAuthorizer`; `NONE` means none. Like SAM, a preflight OPTIONS gets no
    default authorizer when `AddDefaultAuthorizerToCorsPreflight` is false."""
    explicit = (event_auth or {}).get("Authorizer")
    if explicit is not None:
        return None if explicit == NO_AUTHORIZER else str(explicit)
    default = api_auth.get("DefaultAuthorizer")
    if not default or default == NO_AUTHORIZER:
        return None
    if method.upper() == "OPTIONS" and api_auth.get("AddDefaultAuthorizerToCorsPreflight", True) is False:
        return None
    return str(default)


def cognito_authorizer(name: str, definition: Mapping[str, Any]) -> CognitoAuthorizer:
    """A resolved `Auth.Authorizers.<name>` of a SAM API. Only Cognito authorizers are
    served locally: failing here is better than serving a protected route unprotected."""
    arns = definition.get("UserPoolArn")
    if not arns:
        raise NotImplementedError(f"authorizer {name}: only Cognito user pool authorizers run locally")
    arns = arns if isinstance(arns, list) else [arns]
    header = definition.get("Identity", {}).get("Header", DEFAULT_IDENTITY_HEADER)
    return CognitoAuthorizer(name, tuple(str(arn).rsplit("/", 1)[-1] for arn in arns), header)


def issuer(region: str, pool_id: str) -> str:
    """The `iss` of every token a user pool signs."""
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def signing_keys() -> Any:
    """The public keys of the pools: moto signs every pool's tokens with the one key pair
    it ships, whose public half its `/<pool>/.well-known/jwks.json` serves."""
    from joserfc.jwk import KeySet
    from moto.utilities.utils import load_resource

    return KeySet.import_key_set(load_resource("cognitoidp/resources/jwks-public.json"))


class TokenVerifier:
    """Checks tokens as API Gateway's Cognito authorizer does (no OAuth scopes on the
    methods, so ID tokens only). `cognito` is a cognito-idp client on the stack's AWS."""

    def __init__(self, cognito: Any, region: str) -> None:
        self.cognito = cognito
        self.region = region
        self._keys: Any = None
        self._clients: dict[str, set[str]] = {}  # pool id -> its app client ids

    def verify(self, authorizer: CognitoAuthorizer, headers: Mapping[str, str], now: float | None = None
               ) -> dict[str, Any]:
        """The verified claims of the request's token; Unauthorized with API Gateway's
        message when there is none or it does not pass."""
        from joserfc import jwt
        from joserfc.errors import JoseError

        token = _token_from(headers, authorizer.token_header)
        if self._keys is None:
            self._keys = signing_keys()
        try:
            claims = dict(jwt.decode(token, self._keys, algorithms=["RS256"]).claims)
        except (JoseError, ValueError, TypeError, KeyError, IndexError) as error:
            raise Unauthorized("Unauthorized") from error  # not a JWT, or not signed by the pools' key
        pools = {issuer(self.region, pool_id): pool_id for pool_id in authorizer.pool_ids}
        pool_id = pools.get(str(claims.get("iss")))
        if pool_id is None or claims.get("token_use") != "id" or not self._is_client(pool_id, claims.get("aud")):
            raise Unauthorized("Unauthorized")
        expires = claims.get("exp")
        if not isinstance(expires, int | float) or isinstance(expires, bool):
            raise Unauthorized("Unauthorized")
        if expires <= (time.time() if now is None else now):
            raise Unauthorized("The incoming token has expired")
        return claims

    def _is_client(self, pool_id: str, audience: Any) -> bool:
        """Whether `audience` is an app client of the pool; the list is read again when an
        unknown one shows up (a client made after deploy)."""
        if not isinstance(audience, str):
            return False
        if audience not in self._clients.get(pool_id, set()):
            self._clients[pool_id] = _pool_clients(self.cognito, pool_id)
        return audience in self._clients[pool_id]


def _token_from(headers: Mapping[str, str], header: str) -> str:
    value = next((v for k, v in headers.items() if k.lower() == header.lower()), "")
    value = (value or "").strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    if not value:
        raise Unauthorized("Unauthorized")
    return value


def _pool_clients(cognito: Any, pool_id: str) -> set[str]:
    clients: set[str] = set()
    kwargs: dict[str, Any] = {"UserPoolId": pool_id, "MaxResults": 60}
    while True:
        page = cognito.list_user_pool_clients(**kwargs)
        clients |= {c["ClientId"] for c in page.get("UserPoolClients", [])}
        if not page.get("NextToken"):
            return clients
        kwargs["NextToken"] = page["NextToken"]


def authorizer_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """The claims as a REST API's Cognito authorizer hands them on: all strings; lists
    comma-joined (`cognito:groups` "admins,sales"); `exp` and `iat` as Java dates
    ("Thu May 30 07:38:49 UTC 2024"); booleans "true" / "false"."""
    passed: dict[str, str] = {}
    for name, value in claims.items():
        if name in ("exp", "iat") and isinstance(value, int | float) and not isinstance(value, bool):
            passed[name] = _java_date(value)
        elif isinstance(value, bool):
            passed[name] = "true" if value else "false"
        elif isinstance(value, list | tuple):
            passed[name] = ",".join(str(v) for v in value)
        else:
            passed[name] = str(value)
    return passed


def _java_date(epoch: float) -> str:
    t = time.gmtime(epoch)
    return f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}:" \
           f"{t.tm_sec:02d} UTC {t.tm_year}"


# -- the template's user pool and app client, by name (for `make token`) ---------------


def _resolver(template: Template, stack_name: str, region: str, account_id: str) -> Resolver:
    refs = {**template.parameter_defaults(), **LOCAL_PARAMETERS, "AWS::StackName": stack_name, "AWS::Region": region,
            "AWS::AccountId": account_id, "AWS::URLSuffix": "amazonaws.com", "AWS::Partition": "aws",
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/local"}
    return Resolver(refs, {}, template.doc.get("Conditions", {}))


def user_pool_name(template: Template, logical_id: str, stack_name: str, region: str = "us-east-1",
                   account_id: str = "123456789012") -> str:
    """The name the local stack gives a template's user pool (its UserPoolName, resolved)."""
    props = template.resources[logical_id].get("Properties", {})
    return str(_resolver(template, stack_name, region, account_id)(props.get("UserPoolName")
                                                                   or f"{stack_name}-{logical_id}"))


def user_pool_client_name(template: Template, logical_id: str, stack_name: str, region: str = "us-east-1",
                          account_id: str = "123456789012") -> str:
    """The name the local stack gives a template's app client (its ClientName, resolved)."""
    props = template.resources[logical_id].get("Properties", {})
    return str(_resolver(template, stack_name, region, account_id)(props.get("ClientName")
                                                                   or f"{stack_name}-{logical_id}"))


def password_client(template: Template) -> str:
    """The logical id of the template's app client that lets users sign in with a password."""
    resolve = _resolver(template, "leadflow-local", "us-east-1", "123456789012")
    for lid, resource in template.of_type("AWS::Cognito::UserPoolClient").items():
        if PASSWORD_FLOWS & set(resolve(resource.get("Properties", {}).get("ExplicitAuthFlows", []))):
            return lid
    raise LookupError("no app client in the template allows USER_PASSWORD_AUTH")


def sign_in(cognito: Any, client_id: str, username: str, password: str) -> str:
    """A user's ID token, signed in with USER_PASSWORD_AUTH as a console would."""
    answer = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": username, "PASSWORD": password})
    if "AuthenticationResult" not in answer:
        # A challenge (NEW_PASSWORD_REQUIRED...): the seed sets permanent passwords, so
        # this is a user someone made by hand.
        raise Unauthorized(f"sign-in asks for {answer.get('ChallengeName')}: set a permanent password first")
    return str(answer["AuthenticationResult"]["IdToken"])
