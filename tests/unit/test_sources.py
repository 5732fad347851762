"""Channel kinds: seeds (referral), nets (inbound) and spears (outbound)."""

from __future__ import annotations

import pytest

from leadflow.capture.sources import channel_of
from leadflow.shared.models import ChannelKind, Source


@pytest.mark.parametrize(
    ("utm_medium", "referrer", "expected"),
    [
        ("cpc", None, ChannelKind.INBOUND),
        ("CPC", None, ChannelKind.INBOUND),               # case does not matter
        (" newsletter ", None, ChannelKind.INBOUND),      # nor surrounding spaces
        ("organic", None, ChannelKind.INBOUND),
        ("paid-social", None, ChannelKind.INBOUND),
        ("referral", None, ChannelKind.REFERRAL),
        ("word-of-mouth", None, ChannelKind.REFERRAL),
        ("partner", None, ChannelKind.REFERRAL),
        ("outbound", None, ChannelKind.OUTBOUND),
        ("cold-email", None, ChannelKind.OUTBOUND),
        ("sdr", None, ChannelKind.OUTBOUND),
        ("carrier-pigeon", None, ChannelKind.UNKNOWN),     # unknown medium
        # a medium decides even when a referrer is present
        ("referral", "https://www.google.com/", ChannelKind.REFERRAL),
        ("carrier-pigeon", "https://www.google.com/", ChannelKind.UNKNOWN),
        (None, "https://www.google.com/", ChannelKind.INBOUND),   # referrer only
        ("", "https://news.example/", ChannelKind.INBOUND),       # blank medium counts as none
        (None, None, ChannelKind.UNKNOWN),                        # nothing at all
        ("", "", ChannelKind.UNKNOWN),
    ],
)
def test_channel_of(utm_medium: str | None, referrer: str | None, expected: ChannelKind) -> None:
    source = Source(form_id="f", utm_medium=utm_medium, referrer=referrer)

    assert channel_of(source) == expected
