"""Leadflow's domain, one subpackage per part of the business:

- `capture`: a form post → a stored submission on its lead (parsing, field names,
  validation, spam, the fallback queue, the HTTP answers);
- `routing`: scoring rules, rule sets, assignment to a manager, the roster, calibration;
- `notification`: the emails (templates and wording per language), SES, the
  autoresponder, the hot-lead topic;
- `lifecycle`: statuses and their transitions, notes, conversion, speed-to-lead and
  follow-up schedules, the signed links in emails and their pages;
- `reporting`: report counters, periods, channel costs, lists of leads and the CSV export;
- `privacy`: erasing a person;

over two kernels: `shared` (the domain's nouns, the bus events, settings, the clock,
languages, who is calling, AWS clients) and `storage` (every item's keys, item
encoding, transactions). Each part keeps its DynamoDB access in its own `store`; a part
uses another part's public functions, never its internals.
"""

from leadflow import _deferred_models  # noqa: F401, E402 - before any model is defined
