"""Managing a deployment's scoring rules without a redeploy.

    python -m leadflow_cli.rules default b2b > rules.json   # start from the shipped rules
    python -m leadflow_cli.rules validate rules.json        # check a file, nothing stored
    python -m leadflow_cli.rules put rules.json             # validate, then store it as the override
    python -m leadflow_cli.rules get b2b                    # what the scorer uses now
    python -m leadflow_cli.rules delete b2b                 # back to the shipped default

`put`, `get` and `delete` need the table: `--table` or TABLE_NAME (the stack's `TableName`
output), and AWS credentials as for any AWS CLI command. A stored override reaches every
scorer within a minute (each keeps what it read for 60 s). A file that does not validate
is refused with one line per problem, naming the rule and the field."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from leadflow.routing.rule_sets import default_rule_set
from leadflow.routing.rules import PROFILES, InvalidRuleSet, RuleSet, parse_rule_set


def load_rule_set_file(path: str) -> tuple[RuleSet, dict[str, Any]]:
    """The validated rule set in a JSON file, with the document as written."""
    with open(path, encoding="utf-8") as stream:
        try:
            document = json.load(stream)
        except json.JSONDecodeError as exc:
            raise InvalidRuleSet([f"not valid JSON: {exc}"]) from None
    return parse_rule_set(document), document


def _store(table: str | None) -> Any:
    from leadflow.routing.store import RoutingStore  # boto3 only for the commands that need it
    from leadflow.storage.table import Table

    name = table or os.environ.get("TABLE_NAME")
    if not name:
        raise SystemExit("rules: give --table or set TABLE_NAME (the stack's TableName output)")
    return RoutingStore(Table(name))


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout, store: Any = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadflow_cli.rules", description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", help="the Leadflow table (default: $TABLE_NAME)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("validate", help="check a rule set file").add_argument("file")
    commands.add_parser("put", help="validate a rule set file and store it for its profile").add_argument("file")
    for name, what in (("get", "print the rule set the scorer uses"), ("delete", "remove the override"),
                       ("default", "print the shipped rule set")):
        commands.add_parser(name, help=what).add_argument("profile", choices=PROFILES)
    args = parser.parse_args(argv)

    try:
        if args.command in ("validate", "put"):
            rule_set, document = load_rule_set_file(args.file)
            if args.command == "put":
                repo = store or _store(args.table)
                repo.put_rule_set_json(rule_set.profile, json.dumps(document, ensure_ascii=False), rule_set.version)
                print(f"stored rule set {rule_set.version} for {rule_set.profile}: in use within a minute", file=out)
            else:
                print(f"valid: {rule_set.profile} rule set {rule_set.version}, {len(rule_set.rules)} rules", file=out)
        elif args.command == "default":
            print(default_rule_set(args.profile).model_dump_json(indent=2, exclude_defaults=False), file=out)
        elif args.command == "get":
            text = (store or _store(args.table)).get_rule_set_json(args.profile)
            rule_set = parse_rule_set(json.loads(text)) if text else default_rule_set(args.profile)
            origin = "override stored in the table" if text else "shipped default"
            print(f"# {args.profile}: {origin}", file=sys.stderr)
            print(rule_set.model_dump_json(indent=2), file=out)
        elif args.command == "delete":
            removed = (store or _store(args.table)).delete_rule_set(args.profile)
            print(f"{args.profile}: {'override removed' if removed else 'no override'}; "
                  "the shipped default applies", file=out)
    except InvalidRuleSet as exc:
        print(f"rules: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"rules: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
