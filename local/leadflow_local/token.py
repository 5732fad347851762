"""`make token USER=<email>`: a Cognito ID token from the running `make dev` stack.

Signs in to the user pool on the dev stack's moto (AWS_PORT, default 4566) with
USER_PASSWORD_AUTH and prints the ID token, ready for the leads API:

    curl -H "Authorization: $(make -s token USER=olivia@sales.example.com)" http://127.0.0.1:3000/leads

The user defaults to the first admin of local/seed.json; the seeded users' demo password
is read from there (`--password` for a user you added yourself). Local only: the pool
and its users exist on the local moto alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from leadflow_local.auth import password_client, sign_in, user_pool_client_name, user_pool_name
from leadflow_local.template import ROOT, Template

SEED_PATH = ROOT / "local" / "seed.json"
STACK_NAME = "leadflow-local"  # LocalStack's default, which `make dev` uses
REGION = "us-east-1"


class TokenError(Exception):
    """Why no token could be had, in words for the person at the terminal."""


def seeded_users(seed: Path = SEED_PATH) -> list[dict[str, Any]]:
    return list(json.loads(seed.read_text("utf-8")).get("users", []))


def default_user(users: list[dict[str, Any]]) -> str:
    """The first admin of the seed (the user who may call every route)."""
    for user in users:
        if user.get("admin"):
            return str(user["email"])
    raise TokenError("no admin in local/seed.json: pass USER=<email>")


def seeded_password(users: list[dict[str, Any]], email: str) -> str:
    for user in users:
        if str(user["email"]).lower() == email.lower():
            return str(user["password"])
    known = ", ".join(str(u["email"]) for u in users)
    raise TokenError(f"{email} is not a user of local/seed.json ({known}); pass --password for your own")


def find_ids(cognito: Any, template: Template, stack_name: str = STACK_NAME) -> tuple[str, str]:
    """The pool and app client the local stack made from the template, found by name."""
    client_lid = password_client(template)
    pool_lid = template.resources[client_lid]["Properties"]["UserPoolId"]["Ref"]
    pool_wanted = user_pool_name(template, pool_lid, stack_name, REGION)
    client_wanted = user_pool_client_name(template, client_lid, stack_name, REGION)
    pools = [p["Id"] for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60)
             for p in page["UserPools"] if p["Name"] == pool_wanted]
    if not pools:
        raise TokenError(f"no user pool {pool_wanted!r} on the local stack")
    for pool_id in reversed(pools):  # the newest, should an old one linger
        clients = [c["ClientId"] for page in cognito.get_paginator("list_user_pool_clients").paginate(
            UserPoolId=pool_id, MaxResults=60) for c in page["UserPoolClients"] if c["ClientName"] == client_wanted]
        if clients:
            return pool_id, clients[0]
    raise TokenError(f"no app client {client_wanted!r} in user pool {pool_wanted!r}")


def local_cognito(aws_port: int) -> Any:
    # Fixed fake credentials: the developer's own AWS keys are never sent, not even to moto.
    return boto3.client("cognito-idp", endpoint_url=f"http://127.0.0.1:{aws_port}", region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing",  # noqa: S106 - moto's
                        config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 1}))


def id_token(email: str | None, password: str | None, aws_port: int) -> str:
    users = seeded_users()
    email = email or default_user(users)
    password = password if password is not None else seeded_password(users, email)
    cognito = local_cognito(aws_port)
    try:
        _pool_id, client_id = find_ids(cognito, Template())
        return sign_in(cognito, client_id, email, password)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("NotAuthorizedException", "UserNotFoundException"):
            raise TokenError(f"{email} could not sign in: wrong password or no such user") from error
        raise TokenError(f"the local user pool said {code}") from error
    except BotoCoreError as error:
        raise TokenError(f"no local stack on port {aws_port}: is `make dev` running? (set AWS_PORT if it "
                         f"uses another port)") from error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make token", description="Print a Cognito ID token from `make dev`.")
    parser.add_argument("user", nargs="?", help="the user's email (default: the seed's admin)")
    parser.add_argument("--password", help="for a user that is not in local/seed.json")
    args = parser.parse_args(argv)
    try:
        token = id_token(args.user or None, args.password, int(os.environ.get("AWS_PORT", "4566")))
    except TokenError as error:
        print(f"make token: {error}", file=sys.stderr)
        return 1
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
