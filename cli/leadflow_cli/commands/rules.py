"""`leadflow rules`: the scoring rule sets, tuned without a redeploy.

    leadflow rules default b2b > rules.json          # start from the shipped rules
    leadflow rules validate rules.json               # check a file; nothing stored
    leadflow --stack S rules put rules.json          # validate, then store it as the override
    leadflow --stack S rules show [b2b]              # what the scorer uses now
    leadflow --stack S rules try rules.json --period 2026-11   # what it would change; nothing stored
    leadflow --stack S rules delete b2b              # back to the shipped default
    leadflow rules calibrate leads.jsonl             # do the rules predict who buys?

A stored override reaches every scorer within a minute (each keeps what it read for
60 s). A file that does not validate is refused with one line per problem, naming the
rule and the field."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from leadflow.routing.rule_sets import default_rule_set
from leadflow.routing.rules import PROFILES, InvalidRuleSet, RuleSet, parse_rule_set
from leadflow_cli.calibration import InvalidLine, read_jsonl, render_report, report_json
from leadflow_cli.commands.parsing import add_command, add_group
from leadflow_cli.context import Context
from leadflow_cli.output import Problem, Refused, UsageError, percent, table

IN_USE_WITHIN = "in use within a minute"


def register(groups: Any, common: Any) -> None:
    rules = add_group(groups, "rules", help="scoring rule sets: show, put, try, delete, validate, calibrate")
    show = add_command(rules, common, "show", run=show_rules, full_name="rules show",
                       help="the rule set each profile is scored with now (override or shipped default)")
    show.add_argument("profile", nargs="?", choices=PROFILES, help="one profile (default: every profile)")
    put = add_command(rules, common, "put", run=put_rules, full_name="rules put",
                      help="validate a rule set file and store it as its profile's override")
    put.add_argument("file", help="a rule set JSON file (`leadflow rules default b2b` gives one)")
    trial = add_command(rules, common, "try", run=try_rules, full_name="rules try",
                        help="re-score a period's leads with a rule set file and with the one in force: what "
                             "would change; nothing is stored", description=_try_description())
    trial.add_argument("file", help="the proposed rule set, a JSON file (its `profile` says whose leads)")
    trial.add_argument("--period", required=True,
                       help="the leads created in 2026-11 (a month), 2026-11-25 (a day), 2026-11-01..2026-11-15 "
                            "(up to 31 days) or 2026-09..2026-11 (up to 12 months); UTC")
    delete = add_command(rules, common, "delete", run=delete_rules, full_name="rules delete",
                         help="remove a profile's override: the shipped default applies again")
    delete.add_argument("profile", choices=PROFILES)
    validate = add_command(rules, common, "validate", run=validate_rules, full_name="rules validate",
                           help="check a rule set file; nothing is stored, no deployment needed")
    validate.add_argument("file")
    default = add_command(rules, common, "default", run=default_rules, full_name="rules default",
                          help="print the shipped rule set of a profile as JSON (a file to edit and put)")
    default.add_argument("profile", choices=PROFILES)
    calibrate = add_command(rules, common, "calibrate", run=calibrate_rules, full_name="rules calibrate",
                            help="conversion per temperature, score band and rule, from leads with outcomes",
                            description=_calibrate_description())
    calibrate.add_argument("leads", help="a JSON-lines file of leads with their outcome ('-' for stdin)")
    calibrate.add_argument("--band-width", type=int, default=20, help="points per score band (default 20)")


# -- reading files -------------------------------------------------------------------------


def load_rule_set_file(path: str) -> tuple[RuleSet, dict[str, Any]]:
    """The validated rule set in a JSON file, with the document as written. A file that
    cannot be read is a usage error; one that is not a valid rule set is refused."""
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise Refused.one(f"not valid JSON: {error}", field=path, code="invalid_json") from None
    try:
        return parse_rule_set(document), document
    except InvalidRuleSet as invalid:
        raise _refused(invalid) from None


def _refused(invalid: InvalidRuleSet) -> Refused:
    # Each problem already names its rule and field (leadflow.routing.rules._describe).
    return Refused([Problem(message=problem, code="invalid_rule_set") for problem in invalid.problems])


def _summary(rule_set: RuleSet) -> dict[str, Any]:
    return {"profile": rule_set.profile, "version": rule_set.version, "rules": len(rule_set.rules)}


# -- commands ------------------------------------------------------------------------------


def validate_rules(context: Context) -> None:
    rule_set, _document = load_rule_set_file(context.args.file)
    context.printer.answer({"valid": True, **_summary(rule_set)},
                           f"valid: {rule_set.profile} rule set {rule_set.version}, {len(rule_set.rules)} rules")


def put_rules(context: Context) -> None:
    rule_set, document = load_rule_set_file(context.args.file)
    _routing_store(context).put_rule_set_json(rule_set.profile, json.dumps(document, ensure_ascii=False),
                                              rule_set.version)
    context.printer.answer({"stored": True, **_summary(rule_set)},
                           f"stored rule set {rule_set.version} for {rule_set.profile}: {IN_USE_WITHIN}")


def delete_rules(context: Context) -> None:
    profile = context.args.profile
    removed = _routing_store(context).delete_rule_set(profile)
    context.printer.answer({"profile": profile, "removed": removed},
                           f"{profile}: {'override removed' if removed else 'no override'}; the shipped default "
                           f"applies ({IN_USE_WITHIN})")


def default_rules(context: Context) -> None:
    # The document itself in both modes: it is meant to be redirected into a file.
    print(default_rule_set(context.args.profile).model_dump_json(indent=2), file=context.printer.out)


def show_rules(context: Context) -> None:
    from leadflow.routing.rule_admin import in_force

    store = _routing_store(context)
    shown = [in_force(profile, store.get_rule_set_json(profile)).model_dump(mode="json")
             for profile in ([context.args.profile] if context.args.profile else PROFILES)]
    context.printer.answer({"rule_sets": shown}, lambda: "\n\n".join(_render_in_force(s) for s in shown))


def _render_in_force(shown: dict[str, Any]) -> str:
    rule_set = shown["rule_set"]
    origin = "override stored in the table" if shown["in_force"] == "override" else "shipped default"
    lines = [f"{shown['profile']}: {origin}, version {rule_set['version']}"]
    lines += [f"  stored override ignored (invalid): {problem}" for problem in shown["override_problems"]]
    thresholds, assignment = rule_set["thresholds"], rule_set["assignment"]
    lines.append(f"thresholds: warm from {thresholds['warm']} points, hot from {thresholds['hot']}")
    lines.append("assignment: " + "; ".join(f"{t} to tiers {', '.join(map(str, assignment[t]))}"
                                            for t in ("hot", "warm", "cold")))
    lines.append(table(("rule", "kind", "points", "reason"),
                       [(r["id"], r["kind"], r["points"], r["reason"]) for r in rule_set["rules"]]))
    return "\n".join(lines)


def _routing_store(context: Context) -> Any:
    from leadflow.routing.store import RoutingStore
    from leadflow.storage.table import Table

    target = context.target
    return RoutingStore(Table(target.table_name, target.client("dynamodb")))


# -- try -----------------------------------------------------------------------------------


def try_rules(context: Context) -> None:
    """Every page of the period (the API answers one at a time), added up."""
    from leadflow.reporting.store import ListingStore
    from leadflow.routing.rule_admin import rule_set_in_force
    from leadflow.routing.trial import MAX_LEADS_PER_CALL, RuleSetTrial, add_trials, trial_period, try_rule_set
    from leadflow.shared.clock import utc_now
    from leadflow.shared.refusal import Invalid

    proposed, _document = load_rule_set_file(context.args.file)
    today = utc_now().date()
    try:
        trial_period(context.args.period, today)  # refused before any AWS call
    except Invalid as invalid:
        raise Refused([Problem(field=e.field, code=e.code, message=e.message) for e in invalid.errors]) from None
    store = _routing_store(context)
    current = rule_set_in_force(store, proposed.profile)
    index = ListingStore(store.table)
    answer: RuleSetTrial | None = None
    cursor: str | None = None
    while answer is None or cursor is not None:
        page = try_rule_set(proposed, current.rule_set, current.in_force, context.args.period, index=index,
                            submissions=store, today=today, limit=MAX_LEADS_PER_CALL, cursor=cursor)
        answer = page if answer is None else add_trials(answer, page)
        cursor = page.next_cursor
    data = answer.model_dump(mode="json")
    context.printer.answer(data, lambda: render_trial(data))


def render_trial(trial: dict[str, Any]) -> str:
    """A trial (as the API answers it) as text: the matrix, the rules, the conversion."""
    origin = "override" if trial["current_in_force"] == "override" else "shipped default"
    skipped = trial["skipped"]
    lines = [f"{trial['profile']}: rule set {trial['proposed_version']} against {trial['current_version']} "
             f"({origin}, in force), leads created {trial['period']} ({trial['first_day']} to {trial['last_day']})",
             f"{trial['leads']} leads scored, {trial['changed']} would change temperature ({trial['rose']} up, "
             f"{trial['fell']} down); not scored: {skipped['erased']} erased, {skipped['other_profile']} of the "
             f"other profile, {skipped['no_submission']} without a submission"]
    if trial["stored_differs"]:
        lines.append("stored with another temperature than the rule set in force gives now (scored by an older "
                     f"rule set): {trial['stored_differs']} leads")
    temperatures = ("cold", "warm", "hot")
    lines += ["", "Temperature: in force (rows) and proposed (columns)",
              table(("in force", *temperatures), [(row, *(trial["matrix"][row][col] for col in temperatures))
                                                 for row in temperatures])]
    lines += ["", "Rules: leads each matched (points: - when not in that rule set)",
              table(("rule", "points now", "proposed", "fires now", "proposed"),
                    [(r["rule_id"], _points(r["current_points"]), _points(r["proposed_points"]), r["current_fires"],
                      r["proposed_fires"]) for r in trial["rules"]])]
    now, proposed = trial["conversion"]["current"], trial["conversion"]["proposed"]
    lines += ["", "Conversion of the leads whose outcome is known (converted or rejected)",
              table(("temperature", "leads now", "known", "converted", "rate", "leads proposed", "known", "converted",
                     "rate"),
                    [(a["temperature"], a["leads"], a["outcome_known"], a["converted"], percent(a["conversion_rate"]),
                      b["leads"], b["outcome_known"], b["converted"], percent(b["conversion_rate"]))
                     for a, b in zip(now, proposed, strict=True)])]
    reads = trial["reads"]
    lines += ["", f"read {reads['lead_items']} lead cards and {reads['submission_items']} submissions (at most "
                  f"{reads['submissions_per_lead_at_most']} a lead); nothing written"]
    return "\n".join(lines)


def _points(points: int | None) -> str:
    return "-" if points is None else str(points)


def _try_description() -> str:
    from leadflow.routing import trial

    return ("Re-score the leads created in a period with the proposed rule set and with the one in force, and "
            "show what would change: the temperature matrix, how often each rule fires, and the conversion per "
            "temperature of the leads whose outcome is known (converted or rejected). Nothing is written; "
            "`leadflow rules put FILE` stores the file.\n\n"
            "Whose leads: the file's `profile` (`--profile` is the AWS profile). What it reads: the period's lead "
            f"cards ({trial.MAX_LEADS_PER_CALL} an index Query) and, per lead, one Query of its newest submission "
            f"(its newest {1 + trial.MAX_PREVIOUS_VISITS} when a rule looks at earlier visits). Erased leads and "
            "the other profile's are counted apart, not scored.")


# -- calibrate -----------------------------------------------------------------------------


def calibrate_rules(context: Context) -> None:
    from leadflow.routing.calibration import calibrate

    path = context.args.leads
    if context.args.band_width < 1:
        raise UsageError("--band-width must be at least 1")
    try:
        if path == "-":
            leads = _read_leads(sys.stdin.buffer)
        else:
            with open(path, "rb") as stream:
                leads = _read_leads(stream)
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    report = calibrate(leads, band_width=context.args.band_width)
    context.printer.answer(report_json(report), lambda: render_report(report))


def _read_leads(stream: Iterable[bytes]) -> list[Any]:
    try:
        return read_jsonl(stream)
    except InvalidLine as invalid:
        raise Refused.one(invalid.message, field=f"line {invalid.number}", code="invalid_lead") from None


def _calibrate_description() -> str:
    from leadflow_cli import calibration

    return (calibration.__doc__ or "").strip()
