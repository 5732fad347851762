"""`leadflow unassigned list|assign|rerun`, `leadflow offboard` and `leadflow leads add`
against a deployed stack (moto in process): the same services as the admin API, on the
resources the target names; tables by default, `--json` for scripts, exit 1 with every
problem listed when the input is refused, 2 on usage errors."""

from __future__ import annotations

import io
import json

from integration.test_api_queue import HOT_TAKERS, post_hot_leads, queued_lead, set_managers
from leadflow.shared.models import Manager
from leadflow_cli.main import main
from leadflow_cli.target import Target
from support import cli_target, stores_of


def leadflow(*argv: str, target: Target | None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), target=target, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_queue_is_listed_and_a_lead_handed_out_only_when_forced_past_capacity(stack, sent_emails):
    target = cli_target(stack)
    lead_id = queued_lead(stack, "cli.queue@acme-corp.com")
    set_managers(stack, ("m-sam",), capacity=0)

    code, out, _err = leadflow("unassigned", "list", "--json", target=target)
    assert (code, [s["lead_id"] for s in json.loads(out)["leads"]]) == (0, [lead_id])
    assert lead_id in leadflow("unassigned", "list", target=target)[1]

    code, out, err = leadflow("unassigned", "assign", lead_id, "--manager", "m-sam", target=target)
    assert (code, out) == (1, "")
    assert "[manager_full]" in err

    code, out, _err = leadflow("unassigned", "assign", lead_id, "--manager", "m-sam", "--force", "--json",
                               target=target)
    stack.drain()

    assert (code, json.loads(out)["forced"]) == (0, True)
    [entry] = [a for a in stores_of(stack).history(lead_id) if a.kind == "assigned"]
    assert entry.detail["forced"] == "yes" and entry.detail["by"].startswith("cli:arn:aws:")
    assert sum("sam@sales.example.com" in m.destinations["ToAddresses"] for m in sent_emails()) == 1
    assert leadflow("unassigned", "list", target=target)[1].strip() == "the unassigned queue is empty"


def test_rerun_follows_the_queue_to_its_end_after_a_manager_is_added(stack):
    target = cli_target(stack)
    set_managers(stack, HOT_TAKERS, active=False)
    leads = post_hot_leads(stack, "cli.one@acme-corp.com", "cli.two@acme-corp.com")

    code, out, _err = leadflow("unassigned", "rerun", "--json", target=target)
    assert (code, json.loads(out)["left"], json.loads(out)["assigned"]) == (0, 2, 0)

    assert stores_of(stack).roster.create(Manager(manager_id="m-nora", name="Nora", email="nora@sales.example.com",
                                                  tier=1))
    code, out, _err = leadflow("unassigned", "rerun", "--limit", "1", "--json", target=target)

    run = json.loads(out)
    assert (code, run["checked"], run["assigned"], run["next_cursor"]) == (0, 2, 2, None)
    assert [m["lead_id"] for m in run["leads"]] == leads
    assert leadflow("unassigned", "rerun", target=target)[1].startswith("0 lead(s) of the queue looked at")
    assert leadflow("unassigned", "rerun", "--limit", "0", target=target)[0] == 1


def test_offboard_moves_every_open_lead_and_refuses_an_unknown_manager(stack):
    target = cli_target(stack)
    leads = post_hot_leads(stack, "cli.off1@acme-corp.com", "cli.off2@acme-corp.com", "cli.off3@acme-corp.com")

    code, out, _err = leadflow("offboard", "m-olivia", "--limit", "2", "--json", target=target)

    done = json.loads(out)
    assert (code, done["active"], done["reassigned"], done["queued"], done["next_cursor"]) == (0, False, 3, 0, None)
    assert {stores_of(stack).lifecycle.get_lead(i).manager_id for i in leads} == {"m-layla"}
    code, out, _err = leadflow("offboard", "m-olivia", target=target)
    assert (code, out.strip()) == (0, "m-olivia is inactive. 0 open lead(s): 0 reassigned (their new managers are "
                                      "emailed), 0 to the unassigned queue (the admins are alerted), 0 moved "
                                      "meanwhile")
    code, _out, err = leadflow("offboard", "m-nobody", target=target)
    assert code == 1 and "[manager_not_found]" in err


def test_leads_add_enters_a_lead_for_a_manager_and_lists_every_problem_of_a_bad_one(stack):
    target = cli_target(stack)

    code, out, _err = leadflow("leads", "add", "--name", "Carla Call", "--email", "carla@calls.example",
                               "--country", "ES", "--interest", "quote", "--manager", "m-sam", "--json",
                               target=target)
    stack.drain()

    entered = json.loads(out)
    assert (code, entered["assign_to"], entered["channel"], entered["is_new_lead"]) == (0, "m-sam", "outbound", True)
    lead = stores_of(stack).lifecycle.get_lead(entered["lead_id"])
    assert (lead.manager_id, lead.source.form_id) == ("m-sam", "manual")
    code, out, err = leadflow("leads", "add", "--name", " ", "--phone", "12", target=target)
    assert (code, out) == (1, "")
    assert "[name_required]" in err and "[invalid_phone]" in err and "12" not in err.replace("[", " ").split()
    code, _out, err = leadflow("leads", "add", "--name", "X", "--email", "x@x.example", "--manager", "m-nobody",
                               target=target)
    assert code == 1 and "[manager_not_found]" in err
    assert leadflow("unassigned", "assign", "some-lead", target=target)[0] == 2  # no --manager: usage
