"""`leadflow partners add|list|show|change|deactivate|activate|qr`: the referral partners
(lead groups, their members, agencies, customers), through the admin services the admin
API calls (leadflow.referrals.partner_admin): the same checks, the same refusals (exit 1,
every field at fault listed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leadflow_cli import services
from leadflow_cli.commands.parsing import add_command, add_group
from leadflow_cli.context import Context
from leadflow_cli.output import UsageError, table

KINDS = ("group", "member", "agency", "customer", "other")
PAGE_HELP = "the landing page to link to (an absolute URL); else the first allowed origin of a form"


def register(groups: Any, common: Any) -> None:
    partners = add_group(groups, "partners", help="referral partners: lead groups, members, agencies, customers")
    add_command(partners, common, "list", full_name="partners list", run=list_partners, help="every partner")
    show = add_command(partners, common, "show", full_name="partners show", run=show_partner,
                       help="one partner, with its referral link")
    show.add_argument("partner_id", metavar="CODE")
    show.add_argument("--page", help=PAGE_HELP)
    add = add_command(partners, common, "add", full_name="partners add", run=add_partner,
                      help="a new partner; its code is the ref of its links (?ref=CODE)")
    add.add_argument("partner_id", metavar="CODE", help="letters, digits, - and _ (2 to 40), kept lower-case")
    add.add_argument("--name", required=True)
    _settings(add)
    change = add_command(partners, common, "change", full_name="partners change", run=change_partner,
                         help="change some of a partner's settings (the others stay as they are)")
    change.add_argument("partner_id", metavar="CODE")
    change.add_argument("--name")
    _settings(change)
    change.add_argument("--no-email", action="store_true", help="clear the email")
    change.add_argument("--no-group", action="store_true", help="take the partner out of its group")
    for action, what in (("deactivate", "its code still attributes leads, flagged inactive; no more emails"),
                         ("activate", "reactivate a partner")):
        switch = add_command(partners, common, action, full_name=f"partners {action}", run=switch_partner, help=what)
        switch.add_argument("partner_id", metavar="CODE")
        switch.set_defaults(active=action == "activate")
    qr = add_command(partners, common, "qr", full_name="partners qr", run=write_qr,
                     help="the QR code of a partner's referral link, as SVG or PNG (for a card or a slide)")
    qr.add_argument("partner_id", metavar="CODE")
    qr.add_argument("--page", help=PAGE_HELP)
    qr.add_argument("--output", required=True, help="the file to write: card.svg or card.png")


def _settings(parser: Any) -> None:
    parser.add_argument("--email", help="where the emails that close the loop go")
    parser.add_argument("--language", help="of those emails: en, es, ar...")
    parser.add_argument("--kind", choices=KINDS)
    parser.add_argument("--group", dest="group_id", help="the code of the lead group (a partner of kind group)")
    parser.add_argument("--loop-emails", dest="loop_emails", choices=("on", "off"),
                        help="tell the partner when their referral is received, contacted, a customer")


def _sent(args: Any) -> dict[str, Any]:
    values: dict[str, Any] = {k: getattr(args, k) for k in ("name", "email", "language", "kind", "group_id")
                              if getattr(args, k, None) is not None}
    if args.loop_emails is not None:
        values["loop_emails"] = args.loop_emails == "on"
    if getattr(args, "no_email", False):
        values["email"] = None
    if getattr(args, "no_group", False):
        values["group_id"] = None
    return values


def list_partners(context: Context) -> None:
    from leadflow.referrals import partner_admin

    answer = partner_admin.list_partners(services.partners(context.target)).model_dump(mode="json")
    context.printer.answer(answer, lambda: table(
        ["code", "name", "kind", "group", "active", "loop emails"],
        [[p["partner_id"], p["name"], p["kind"], p["group_id"] or "-", "yes" if p["active"] else "NO",
          "on" if p["loop_emails"] else "off"] for p in answer["partners"]]) or "(no partners yet)")


def show_partner(context: Context) -> None:
    from leadflow.referrals import partner_admin

    target = context.target
    partner = partner_admin.get_partner(services.partners(target), context.args.partner_id, services.forms(target),
                                        context.args.page)
    _answer(context, partner.model_dump(mode="json"))


def add_partner(context: Context) -> None:
    from leadflow.referrals import partner_admin
    from leadflow.shared.clock import utc_now
    from leadflow.shared.refusal import parsed

    new = parsed(partner_admin.NewPartner, {**_sent(context.args), "partner_id": context.args.partner_id},
                 partner_admin.InvalidPartner)
    partner = partner_admin.create_partner(services.partners(context.target), new, utc_now())
    _answer(context, partner.model_dump(mode="json"), done="added")


def change_partner(context: Context) -> None:
    from leadflow.referrals import partner_admin
    from leadflow.shared.refusal import parsed

    changes = parsed(partner_admin.PartnerChanges, _sent(context.args), partner_admin.InvalidPartner)
    partner = partner_admin.update_partner(services.partners(context.target), context.args.partner_id, changes)
    _answer(context, partner.model_dump(mode="json"), done="changed")


def switch_partner(context: Context) -> None:
    from leadflow.referrals import partner_admin

    partner = partner_admin.set_partner_active(services.partners(context.target), context.args.partner_id,
                                               context.args.active)
    _answer(context, partner.model_dump(mode="json"), done="active" if partner.active else "deactivated")


def write_qr(context: Context) -> None:
    from leadflow.referrals import partner_admin

    output = Path(context.args.output)
    kind = output.suffix.lower().lstrip(".")
    if kind not in ("svg", "png"):
        raise UsageError(f"--output {output}: a .svg or .png file")
    target = context.target
    partner = partner_admin.get_partner(services.partners(target), context.args.partner_id, services.forms(target),
                                        context.args.page)
    if partner.referral_link is None:
        raise partner_admin.NoLink()
    try:
        output.write_bytes(partner_admin.qr_code(partner.referral_link, kind))  # type: ignore[arg-type]
    except OSError as error:
        raise UsageError(f"cannot write {output}: {error}") from None
    answer = {"partner_id": partner.partner_id, "referral_link": partner.referral_link, "output": str(output)}
    context.printer.answer(answer, f"QR code of {partner.referral_link}\nwritten to {output}")


def _answer(context: Context, partner: dict[str, Any], *, done: str | None = None) -> None:
    def text() -> str:
        shown = {k: v for k, v in partner.items() if k not in ("partner_id", "referral_link", "link_note")}
        lines = [f"partner {partner['partner_id']}" + (f": {done}" if done else ""), "",
                 table(["setting", "value"], [[k, "-" if v is None else str(v).lower() if isinstance(v, bool)
                                               else str(v)] for k, v in shown.items()])]
        if partner.get("referral_link"):
            lines += ["", f"referral link: {partner['referral_link']}",
                      f"QR code:       leadflow partners qr {partner['partner_id']} --output card.svg"]
        elif partner.get("link_note"):
            lines += ["", f"referral link: {partner['link_note']}"]
        return "\n".join(lines)

    context.printer.answer(partner, text)
