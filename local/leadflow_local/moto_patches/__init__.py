"""Where moto does not behave like AWS in a way the local stack needs, patched here.

One module per patch, each saying which moto internals it relies on; every one has a
test in tests/local/test_moto_patches.py that fails loudly when a moto upgrade changes
such an internal. `install()` applies all of them, once per process."""

from __future__ import annotations

from leadflow_local.moto_patches.attribute_values_json import write_attribute_values_directly
from leadflow_local.moto_patches.cheap_rollback import roll_back_only_what_a_transaction_touched
from leadflow_local.moto_patches.condition_expressions import lex_condition_expressions_once
from leadflow_local.moto_patches.event_input_paths import parse_input_paths_once
from leadflow_local.moto_patches.query_one_partition import query_reads_one_partition
from leadflow_local.moto_patches.serialized_requests import serialize_moto_requests
from leadflow_local.moto_patches.ses_events import add_event_destination, publish_ses_events
from leadflow_local.moto_patches.sqs_retention import check_retention_from_the_queue
from leadflow_local.moto_patches.stream_iterators import forget_shard_iterators, shard_iterator_is_current
from leadflow_local.moto_patches.stream_records_json import answer_get_records_as_json
from leadflow_local.moto_patches.update_expressions import parse_update_expressions_once

__all__ = ["add_event_destination", "forget_shard_iterators", "install", "shard_iterator_is_current"]


def install() -> None:
    """Every patch; each installs itself once, so calling this again costs nothing."""
    serialize_moto_requests()
    roll_back_only_what_a_transaction_touched()
    query_reads_one_partition()
    publish_ses_events()
    parse_input_paths_once()
    answer_get_records_as_json()
    parse_update_expressions_once()
    check_retention_from_the_queue()
    write_attribute_values_directly()
    lex_condition_expressions_once()
