"""Environment of each function, validated at cold start so a missing variable
fails loudly at init instead of on the first lead."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field


class _FromEnv(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)

    @classmethod
    def from_env(cls) -> _FromEnv:
        return cls.model_validate(dict(os.environ))


class CaptureSettings(_FromEnv):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    fallback_queue_url: str = Field(alias="FALLBACK_QUEUE_URL", min_length=1)


class StoreFallbackSettings(_FromEnv):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)


class ScoreSettings(_FromEnv):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)


class NotifySettings(_FromEnv):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    sender_email: str = Field(alias="SENDER_EMAIL", min_length=3)
    console_url: str = Field(alias="CONSOLE_URL", default="")
