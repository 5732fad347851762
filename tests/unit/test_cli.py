"""The `leadflow` command without AWS: parsing, exit codes (0 done, 1 refused, 2 usage),
--json, how a target is found (--stack's CloudFormation answers, --local's dev server),
and the package that `make install` installs. What needs a deployed stack is in
tests/integration/test_cli.py; the installed script against `make dev` in tests/e2e/test_installed_command.py."""

from __future__ import annotations

import io
import json
import re
import socket
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from leadflow.routing.rule_sets import default_rule_set
from leadflow_cli.main import build_parser, main
from leadflow_cli.target import StackDescription, Target, TargetError, describe_stack, local_target

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = {"TableName": "acme-LeadsTable", "EventBusName": "acme-leads", "ApiUrl": "https://x.example/v1"}


def run(*argv: str, target: Target | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), target=target, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def nowhere_target(resources: dict[str, str] | None = None) -> Target:
    """A target whose AWS is a closed local port: a test that reached AWS would fail at once."""
    description = StackDescription(stack_name="acme", region="us-east-1", outputs=OUTPUTS, resources=resources or {})
    return Target.of(description, boto3.Session(region_name="us-east-1"), endpoint_url="http://127.0.0.1:9")


@pytest.fixture
def rules_file(tmp_path: Path):
    def write(**changes: Any) -> Path:
        document = {**default_rule_set("b2b").model_dump(mode="json"), **changes}
        path = tmp_path / "rules.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        return path

    return write


# -- parsing and usage errors (exit 2) -------------------------------------------------------


@pytest.mark.parametrize("argv", [
    ["--stack", "acme", "--region", "eu-west-1", "--json", "rules", "show", "b2b"],
    ["rules", "show", "b2b", "--stack", "acme", "--region", "eu-west-1", "--json"],
    ["--json", "rules", "show", "--stack", "acme", "b2b", "--region", "eu-west-1"],
])
def test_the_global_options_go_before_or_after_the_command(argv):
    args = build_parser().parse_args(argv)

    assert (args.stack, args.region, args.json, args.profile, args.command_name) == (
        "acme", "eu-west-1", True, "b2b", "rules show")


def test_the_aws_profile_option_is_not_the_rule_set_profile():
    args = build_parser().parse_args(["rules", "show", "b2c", "--profile", "ops"])

    assert (args.profile, args.aws_profile) == ("b2c", "ops")


@pytest.mark.parametrize("argv", [
    [], ["rules"], ["nope"], ["rules", "show", "b2x"], ["erase"], ["erase", "--email", "a@b.co", "--phone", "+1"],
    ["report", "--nope"], ["rules", "calibrate", "x", "--band-width", "many"],
])
def test_argparse_usage_errors_exit_2(argv, capsys):
    assert run(*argv)[0] == 2

    assert "usage: leadflow" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert run("--help")[0] == 0

    help_text = capsys.readouterr().out
    for group in ("rules", "report", "erase", "--stack", "--local", "--json"):
        assert group in help_text


def test_a_command_that_needs_a_deployment_without_a_target_is_a_usage_error():
    code, out, err = run("rules", "show")

    assert (code, out) == (2, "")
    assert err == "leadflow rules show: error: which deployment? give --stack NAME (its CloudFormation stack) " \
                  "or --local (`make dev`)\n"


def test_both_targets_are_ambiguous():
    code, _out, err = run("--stack", "acme", "rules", "show", "--local")

    assert code == 2 and "give --stack NAME or --local, not both" in err


def test_local_takes_no_region(monkeypatch):
    code, _out, err = run("--local", "--region", "eu-west-1", "report")

    assert code == 2 and "--region and --profile are for --stack" in err


def test_commands_that_need_no_deployment_run_without_a_target(rules_file):
    code, out, err = run("rules", "validate", str(rules_file()))

    assert (code, err) == (0, "")
    assert re.fullmatch(r"valid: b2b rule set \S+, \d+ rules\n", out)


# -- refused input (exit 1), as text and as JSON ---------------------------------------------


def test_every_problem_of_a_rule_set_is_listed_one_per_line_naming_rule_and_field(rules_file):
    bad = default_rule_set("b2b").model_dump(mode="json")
    bad["rules"][1]["points"] = 500
    path = rules_file(thresholds={"warm": 50, "hot": 40}, rules=bad["rules"])

    code, out, err = run("rules", "validate", str(path))

    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "leadflow rules validate: field 'thresholds': the hot threshold (40) must be above the warm one (50) "
        "[invalid_rule_set]",
        f"leadflow rules validate: rule '{bad['rules'][1]['id']}' (rules[1]), field 'points': Input should be less "
        "than or equal to 100 [invalid_rule_set]"]


def test_with_json_the_problems_are_a_document_on_stdout(rules_file):
    code, out, err = run("--json", "rules", "validate", str(rules_file(version="")))

    assert (code, err) == (1, "")
    assert json.loads(out) == {"errors": [{"field": None, "code": "invalid_rule_set",
                                           "message": "field 'version': String should have at least 1 character"}]}


def test_a_file_that_is_not_json_is_refused_and_one_that_is_missing_is_a_usage_error(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text("{not json", encoding="utf-8")

    assert run("rules", "validate", str(path))[0] == 1
    code, _out, err = run("rules", "put", str(tmp_path / "missing.json"), target=nowhere_target())
    assert code == 2 and "cannot read" in err


def test_a_valid_file_answers_json_with_stable_keys(rules_file):
    code, out, _err = run("rules", "validate", str(rules_file(version="acme-7")), "--json")

    assert code == 0
    assert json.loads(out) == {"valid": True, "profile": "b2b", "version": "acme-7",
                               "rules": len(default_rule_set("b2b").rules)}


def test_the_shipped_rule_set_is_printed_as_a_file_to_edit():
    code, out, _err = run("rules", "default", "b2c")

    assert code == 0 and json.loads(out) == default_rule_set("b2c").model_dump(mode="json")


@pytest.mark.parametrize(("argv", "expected"), [
    (["report", "--period", "2026-13"], "leadflow report: period: there is no month 2026-13 [invalid_period]"),
    (["report", "--by", "colour"], "leadflow report: by: unknown dimension colour"),
    (["erase", "--email", "not-an-email"], "leadflow erase: email: this is not a valid email address "
                                           "[invalid_email]"),
    (["erase", "--phone", "415 555 0134"], "leadflow erase: country: a phone without +<country code> needs the "
                                           "country it was typed in [country_required]"),
    (["erase", "--email", "x" * 400 + "@example.com"], "leadflow erase: email: String should have at most 320 "
                                                       "characters [string_too_long]"),
])
def test_bad_input_is_refused_before_any_aws_call(argv, expected):
    # The target's AWS is a closed port: a call would end in a usage error (exit 2), not 1.
    code, out, err = run(*argv, target=nowhere_target({"HashKeySecret": "arn:s", "ReminderScheduleGroup": "g"}))

    assert (code, out) == (1, "")
    assert err.startswith(expected)


def test_refusals_never_repeat_the_persons_email_or_phone():
    target = nowhere_target({"HashKeySecret": "arn:s", "ReminderScheduleGroup": "g"})
    for argv in (["erase", "--email", "jane.doe@@acme"], ["erase", "--phone", "555 0134 999"],
                 ["--json", "erase", "--phone", "+99 555 0134"]):
        code, out, err = run(*argv, target=target)

        assert code == 1
        assert argv[-1] not in out + err


def test_a_stack_without_the_erasure_key_is_a_usage_error_naming_it():
    code, _out, err = run("erase", "--email", "jane@acme.com", target=nowhere_target())

    assert code == 2
    assert "stack acme (us-east-1) has no HashKeySecret" in err


# -- targets ---------------------------------------------------------------------------------


def test_a_target_takes_outputs_then_resources_by_logical_id():
    target = nowhere_target({"HashKeySecret": "arn:aws:secretsmanager:us-east-1:1:secret:h",
                             "ReminderScheduleGroup": "acme-reminders", "LeadsTable": "ignored"})

    assert (target.table_name, target.event_bus_name, target.api_url) == ("acme-LeadsTable", "acme-leads",
                                                                          "https://x.example/v1")
    assert (target.hash_key_secret_arn, target.schedule_group) == ("arn:aws:secretsmanager:us-east-1:1:secret:h",
                                                                   "acme-reminders")
    assert target.user_pool_id is None


@pytest.mark.parametrize("missing", ["TableName", "EventBusName"])
def test_a_stack_without_leadflows_outputs_is_not_a_target(missing):
    outputs = {k: v for k, v in OUTPUTS.items() if k != missing}

    with pytest.raises(TargetError, match=f"stack other \\(eu-west-1\\) has no {missing} output: is it a Leadflow"):
        Target.of(StackDescription(stack_name="other", region="eu-west-1", outputs=outputs), boto3.Session())


class FakeCloudFormation:
    """DescribeStacks and ListStackResources (two pages) as CloudFormation answers them."""

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 - boto3's
        return {"Stacks": [{"StackName": StackName, "Outputs": [
            {"OutputKey": k, "OutputValue": v} for k, v in OUTPUTS.items()]}]}

    def get_paginator(self, operation: str) -> Any:
        assert operation == "list_stack_resources"
        pages = [{"StackResourceSummaries": [
                     {"LogicalResourceId": "HashKeySecret", "PhysicalResourceId": "arn:aws:secretsmanager:x"}]},
                 {"StackResourceSummaries": [
                     {"LogicalResourceId": "ReminderScheduleGroup", "PhysicalResourceId": "acme-reminders"},
                     {"LogicalResourceId": "NotCreatedYet"}]}]
        return type("Paginator", (), {"paginate": lambda _self, StackName: iter(pages)})()  # noqa: N803


def test_a_stack_is_described_by_its_outputs_and_every_page_of_its_resources():
    description = describe_stack(FakeCloudFormation(), "acme", "eu-west-1")

    assert description == StackDescription(
        stack_name="acme", region="eu-west-1", outputs=OUTPUTS,
        resources={"HashKeySecret": "arn:aws:secretsmanager:x", "ReminderScheduleGroup": "acme-reminders"})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def dev_server() -> Iterator[tuple[int, list[str]]]:
    """A stand-in for `make dev`'s HTTP port answering /_local/stack.json; yields its
    port and the paths it was asked for."""
    asked: list[str] = []
    answer = {"stack_name": "leadflow-local", "region": "us-east-1", "outputs": OUTPUTS,
              "resources": {"HashKeySecret": "arn:h"}, "aws_endpoint": "http://127.0.0.1:4999"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = json.dumps(answer).encode() if self.path == "/_local/stack.json" else b"{}"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], asked
    finally:
        server.shutdown()
        server.server_close()


def test_local_reads_the_dev_servers_description_on_port(dev_server):
    port, asked = dev_server

    target = local_target({"PORT": str(port)})

    assert asked == ["/_local/stack.json"]
    assert (target.stack_name, target.table_name, target.hash_key_secret_arn) == (
        "leadflow-local", "acme-LeadsTable", "arn:h")
    assert target.endpoint_url == "http://127.0.0.1:4999"  # the moto the server named
    credentials = target.session.get_credentials()
    assert (credentials.access_key, credentials.secret_key) == ("testing", "testing")  # never the operator's


def test_local_honours_aws_port(dev_server):
    port, _asked = dev_server

    assert local_target({"PORT": str(port), "AWS_PORT": "4600"}).endpoint_url == "http://127.0.0.1:4600"


def test_local_without_make_dev_is_a_usage_error_naming_the_port(monkeypatch):
    port = _free_port()
    monkeypatch.setenv("PORT", str(port))

    code, _out, err = run("--local", "rules", "show")

    assert code == 2
    assert f"no `make dev` answering on 127.0.0.1:{port}" in err


def test_local_on_a_port_that_is_not_make_dev_is_a_usage_error(dev_server, monkeypatch):
    port, _asked = dev_server
    with pytest.raises(TargetError, match="is not a port number"):
        local_target({"PORT": "http"})
    monkeypatch.setattr("leadflow_cli.target.LOCAL_STACK_PATH", "/other")

    with pytest.raises(TargetError, match=f"did not describe a local stack .* on port {port}"):
        local_target({"PORT": str(port)})


# -- the package `make install` installs -----------------------------------------------------


def test_the_console_script_is_leadflow_main():
    project = tomllib.loads((ROOT / "cli" / "pyproject.toml").read_text("utf-8"))["project"]

    assert project["scripts"] == {"leadflow": "leadflow_cli.main:main"}


def test_the_package_declares_every_requirement_of_the_layer_it_carries():
    # pip install of cli/ brings what the layer's package imports (pinned by make install).
    def name(requirement: str) -> str:
        return re.split(r"[\[<>=!~; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")

    layer = {name(line) for line in (ROOT / "layers" / "leadflow" / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")}
    declared = {name(d) for d in tomllib.loads((ROOT / "cli" / "pyproject.toml").read_text("utf-8"))["project"][
        "dependencies"]}

    assert layer <= declared
    assert "boto3" in declared  # the Lambda runtime's, not the layer's


def test_make_install_installs_the_cli_and_reinstalls_when_it_changes():
    makefile = (ROOT / "Makefile").read_text("utf-8")
    [stamp_rule] = re.findall(r"^\$\(STAMP\):.*$", makefile, flags=re.M)

    assert "cli/pyproject.toml" in stamp_rule
    assert re.search(r"^\t.*\$\(BIN\)/python -m pip install .*--editable cli$", makefile, flags=re.M)


def test_report_reads_the_stacks_sla_from_its_output_and_does_without_on_an_older_stack():
    from leadflow.shared.settings import Sla
    from leadflow_cli.commands.report import stack_sla

    assert stack_sla("hot=10,warm=120,cold=1440") == Sla(hot=10, warm=120, cold=1440)
    assert stack_sla(None) is None
