"""Keys kept in Secrets Manager (the signed links' key, the personal-data hash key): read
with boto3, kept a few minutes per container.

boto3 rather than Powertools' `get_secret`: a key may be read in two version stages
(AWSCURRENT signs; AWSPREVIOUS is still accepted after a rotation, so links already in
inboxes keep working) and Powertools' cache key ignores the version stage; a deployment
without a previous version must not cost a call per verification either, which a small
cache of our own remembers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from leadflow.shared import aws

KEY_MAX_AGE_SECONDS = 300  # a rotated key is in use within five minutes
MIN_KEY_BYTES = 32


class KeyUnavailable(Exception):
    """The key could not be read (Secrets Manager failed, or the secret is missing or too
    short). Emails then go without links; pages answer 503."""


class KeySource(Protocol):
    def signing_key(self) -> bytes: ...

    def verification_keys(self) -> Iterator[bytes]: ...


class StaticKeys:
    """Keys given in code (tests, tools): the first signs, all verify."""

    def __init__(self, *keys: bytes) -> None:
        self.keys = keys

    def signing_key(self) -> bytes:
        return self.keys[0]

    def verification_keys(self) -> Iterator[bytes]:
        yield from self.keys


class SecretKeys:
    """The key in Secrets Manager, AWSCURRENT to sign and verify, AWSPREVIOUS (if any,
    fetched only when the current one does not match) to verify; each kept `max_age`
    seconds per container, the absence of a previous version too."""

    def __init__(self, secret_id: str, client: Any | None = None, max_age: float = KEY_MAX_AGE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.secret_id = secret_id
        # A person waits on the page: fail in seconds, not after botocore's long defaults.
        self.client = client or aws.lazy_client("secretsmanager", "person_waiting")
        self.max_age = max_age
        self.clock = clock
        self._cache: dict[str, tuple[bytes | None, float]] = {}
        self._lock = threading.Lock()

    def signing_key(self) -> bytes:
        key = self._stage("AWSCURRENT")
        if key is None:
            raise KeyUnavailable(f"secret {self.secret_id} has no current value")
        return key

    def verification_keys(self) -> Iterator[bytes]:
        yield self.signing_key()
        previous = self._stage("AWSPREVIOUS")
        if previous is not None:
            yield previous

    def _stage(self, stage: str) -> bytes | None:
        with self._lock:
            cached = self._cache.get(stage)
            if cached and cached[1] > self.clock():
                return cached[0]
        key = self._fetch(stage)
        with self._lock:
            self._cache[stage] = (key, self.clock() + self.max_age)
        return key

    def _fetch(self, stage: str) -> bytes | None:
        try:
            answer = self.client.get_secret_value(SecretId=self.secret_id, VersionStage=stage)
        except ClientError as exc:
            if stage != "AWSCURRENT" and exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None  # never rotated: there is no previous version
            raise KeyUnavailable(f"secret {self.secret_id} ({stage}) could not be read") from exc
        except BotoCoreError as exc:
            raise KeyUnavailable(f"secret {self.secret_id} ({stage}) could not be read") from exc
        key = answer["SecretString"].encode("utf-8") if "SecretString" in answer else bytes(answer["SecretBinary"])
        if len(key) < MIN_KEY_BYTES:
            raise KeyUnavailable(f"secret {self.secret_id} ({stage}) is shorter than {MIN_KEY_BYTES} bytes")
        return key
