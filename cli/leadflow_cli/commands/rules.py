"""`leadflow rules`: the scoring rule sets, tuned without a redeploy.

    leadflow rules default b2b > rules.json          # start from the shipped rules
    leadflow rules validate rules.json               # check a file; nothing stored
    leadflow --stack S rules put rules.json          # validate, then store it as the override
    leadflow --stack S rules show [b2b]              # what the scorer uses now
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
from leadflow_cli.output import Problem, Refused, UsageError, table

IN_USE_WITHIN = "in use within a minute"


def register(groups: Any, common: Any) -> None:
    rules = add_group(groups, "rules", help="scoring rule sets: show, put, delete, validate, calibrate")
    show = add_command(rules, common, "show", run=show_rules, full_name="rules show",
                       help="the rule set each profile is scored with now (override or shipped default)")
    show.add_argument("profile", nargs="?", choices=PROFILES, help="one profile (default: every profile)")
    put = add_command(rules, common, "put", run=put_rules, full_name="rules put",
                      help="validate a rule set file and store it as its profile's override")
    put.add_argument("file", help="a rule set JSON file (`leadflow rules default b2b` gives one)")
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
    store = _routing_store(context)
    shown = [_in_force(profile, store.get_rule_set_json(profile))
             for profile in ([context.args.profile] if context.args.profile else PROFILES)]
    context.printer.answer({"rule_sets": shown}, lambda: "\n\n".join(_render_in_force(s) for s in shown))


def _in_force(profile: str, stored: str | None) -> dict[str, Any]:
    """What scores a profile's leads: the stored override, else the shipped default. An
    override that no longer validates is skipped by the scorer (it logs it and scores
    with the default), so it is shown as such, with its problems."""
    problems: list[str] = []
    if stored is not None:
        try:
            rule_set = parse_rule_set(json.loads(stored))
            return {"profile": profile, "in_force": "override", "override_problems": [],
                    "rule_set": rule_set.model_dump(mode="json")}
        except json.JSONDecodeError as error:
            problems = [f"not valid JSON: {error}"]
        except InvalidRuleSet as invalid:
            problems = invalid.problems
    return {"profile": profile, "in_force": "default", "override_problems": problems,
            "rule_set": default_rule_set(profile).model_dump(mode="json")}


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
