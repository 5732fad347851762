"""The admin API's scoring rules (the `admins` group only; anyone else is 403
`admins_only`): the rule set in force per profile, an override stored or removed
(leadflow.routing.rule_admin), and a proposed rule set tried on a period's leads before
it is stored (leadflow.routing.trial: nothing written). `leadflow rules` calls the same
services; refusals (leadflow.shared.refusal) become 4xx in app.py."""

from __future__ import annotations

from typing import Annotated

import api_context
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from leadflow.reporting.store import ListingStore
from leadflow.routing import rule_admin, trial
from leadflow.routing.rule_admin import OverrideRemoved, RuleSetDocument, RuleSetInForce
from leadflow.routing.rules import Profile
from leadflow.routing.store import RoutingStore
from leadflow.routing.trial import RuleSetTrial
from leadflow.shared.access import require_admin
from leadflow.shared.clock import utc_now
from leadflow.shared.http import INVALID_REQUEST, error_response

router = Router()
logger = Logger(child=True)
overrides = RoutingStore(api_context.table)
lead_index = ListingStore(api_context.table)

PROFILE = Path(description="the scoring profile: `b2b` or `b2c` (a form's `scoring_profile`)", examples=["b2b"])
ADMINS_ONLY = {403: error_response({"admins_only": "anyone but an admin"})}
BAD_PATH = {400: error_response({INVALID_REQUEST: "a profile that is not `b2b` or `b2c`"})}
BAD_RULES = {400: error_response({"invalid_rules": "each problem in `errors`, naming the rule and the field "
                                                   "(`rules.3.pattern`); also a `profile` other than the path's",
                                  INVALID_REQUEST: "not a JSON object, or a profile that is not `b2b` or `b2c`"})}
IN_FORCE = "the rule set scoring the profile's leads now: `override` (stored) or `default` (shipped)"
WITHIN_A_MINUTE = "Scorers read it within a minute (each keeps what it read for 60 s)."


def _admin() -> None:
    require_admin(api_context.caller(router))


@router.get("/admin/rules/<profile>", tags=["admin"], summary="The rule set scoring a profile's leads now",
            description="The stored override, else the shipped default. An override the scorer cannot use is "
                        "shown as ignored, with its problems (`override_problems`).",
            responses={200: {"description": IN_FORCE}, **BAD_PATH, **ADMINS_ONLY})
def get_rules(profile: Annotated[Profile, PROFILE]) -> RuleSetInForce:
    _admin()
    return rule_admin.rule_set_in_force(overrides, profile)


@router.put("/admin/rules/<profile>", tags=["admin"], summary="Store a rule set as the profile's override",
            description="Validated as a whole first (every problem named at once, nothing stored); it replaces "
                        f"any override before it. {WITHIN_A_MINUTE} `GET /admin/rules/{{profile}}` or "
                        "`leadflow rules default b2b` gives one to start from; "
                        "`POST /admin/rules/{profile}/try` shows what it would change.",
            responses={200: {"description": "stored: the rule set in force now"}, **BAD_RULES, **ADMINS_ONLY})
def put_rules(profile: Annotated[Profile, PROFILE], document: RuleSetDocument) -> RuleSetInForce:
    _admin()
    stored = rule_admin.store_override(overrides, profile, document.model_dump())
    logger.info("rule set stored", extra={"profile": profile, "version": stored.rule_set.version})
    return stored


@router.delete("/admin/rules/<profile>", tags=["admin"], summary="Remove the profile's override",
               description=f"The shipped default scores the profile's leads again. {WITHIN_A_MINUTE}",
               responses={200: {"description": "done (also when there was no override: `removed` false)"},
                          **BAD_PATH, **ADMINS_ONLY})
def delete_rules(profile: Annotated[Profile, PROFILE]) -> OverrideRemoved:
    _admin()
    removed = rule_admin.remove_override(overrides, profile)
    logger.info("rule set override removed", extra={"profile": profile, "removed": removed.removed})
    return removed


@router.post("/admin/rules/<profile>/try", tags=["admin"],
             summary="Try a rule set on a period's leads, writing nothing",
             description="Re-scores the leads created in the period (their newest submission, with what their card "
                         "knows and their earlier visits) with the proposed rule set and with the one in force: how "
                         "many change temperature (`matrix`: rows in force, columns proposed), how often each rule "
                         "fires under each, and the conversion per temperature under each for the leads whose "
                         "outcome is known (converted or rejected). Reads at most `limit` lead cards (the index) and "
                         "one Query per lead (its newest submission, or its newest "
                         f"{1 + trial.MAX_PREVIOUS_VISITS} when a rule looks at earlier visits); a period with more "
                         "leads answers `next_cursor`: call again with it and add the counts up. Erased leads and "
                         "the other profile's are counted in `skipped`.",
             responses={200: {"description": "the trial (one page of the period's leads)"},
                        400: error_response({"invalid_rules": "each problem in `errors`, naming the rule and the "
                                             "field", "invalid_period": None, "period_too_long": "more than 31 "
                                             "days or 12 months", "invalid_cursor": None, INVALID_REQUEST: None}),
                        **ADMINS_ONLY})
def try_rules(
    profile: Annotated[Profile, PROFILE],
    document: RuleSetDocument,
    period: Annotated[str, Query(description="the leads created in 2026-11 (a month), 2026-11-25 (a day), "
                                             "2026-11-01..2026-11-15 (up to 31 days) or 2026-09..2026-11 (up to "
                                             "12 months); UTC", examples=["2026-11"], max_length=64)],
    limit: Annotated[int, Query(ge=1, le=trial.MAX_LEADS_PER_CALL,
                                description="lead cards read for this page")] = trial.DEFAULT_LEADS_PER_CALL,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the page before", max_length=2048)] = None,
) -> RuleSetTrial:
    _admin()
    proposed = rule_admin.checked_rule_set(document.model_dump(), profile)
    in_force = rule_admin.rule_set_in_force(overrides, profile)
    answer = trial.try_rule_set(proposed, in_force.rule_set, in_force.in_force, period, index=lead_index,
                                submissions=overrides, today=utc_now().date(), limit=limit, cursor=cursor)
    logger.info("rule set tried", extra={"profile": profile, "proposed_version": proposed.version,
                                         "leads": answer.leads, "changed": answer.changed,
                                         "more": answer.next_cursor is not None})
    return answer
