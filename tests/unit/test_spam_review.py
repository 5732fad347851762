"""Spam review: ids that name no spam post are refused before any read."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("spam_id", ["A", "AA", "____", "bm90LWhlcmU", "_w", "ZGVtbwoyMDI2"])
def test_a_spam_id_that_is_no_spam_key_is_not_found_without_a_read(spam_id):
    from leadflow.capture.spam_review import SpamNotFound, release_spam

    with pytest.raises(SpamNotFound):
        release_spam(None, None, spam_id)  # type: ignore[arg-type] (nothing is read)
