"""Which kind of channel a submission came through, from its UTM medium and referrer."""

from __future__ import annotations

from leadflow.shared.models import ChannelKind, Source

# utm_medium values seen in the wild, by the channel kind they mean.
MEDIUM_KINDS: dict[str, ChannelKind] = {
    **dict.fromkeys(("referral", "word-of-mouth", "word_of_mouth", "partner", "affiliate"), ChannelKind.REFERRAL),
    **dict.fromkeys(("outbound", "sdr", "cold-email", "cold_email", "prospecting", "sales"), ChannelKind.OUTBOUND),
    **dict.fromkeys(
        ("cpc", "ppc", "paid", "paid-social", "social", "organic", "email", "newsletter", "display", "banner",
         "content", "seo", "video"),
        ChannelKind.INBOUND,
    ),
}


def channel_of(source: Source) -> ChannelKind:
    """Seeds, nets or spears: a partner's code (`ref`) means a referral; else the UTM
    medium decides; an ad click id or a bare referrer means inbound."""
    if source.ref or source.partner_id:
        return ChannelKind.REFERRAL
    if source.utm_medium:
        return MEDIUM_KINDS.get(source.utm_medium.strip().lower(), ChannelKind.UNKNOWN)
    if source.gclid or source.fbclid:  # an ad click without UTM tags
        return ChannelKind.INBOUND
    if source.referrer:
        return ChannelKind.INBOUND
    return ChannelKind.UNKNOWN
