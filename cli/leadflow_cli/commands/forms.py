"""`leadflow forms list|show|create|update|disable|enable|snippet`: the forms landing
pages post to, through the admin services the admin API calls
(leadflow.capture.form_admin); the same checks, the same refusals (exit 1, every field
at fault listed)."""

from __future__ import annotations

from typing import Any

from leadflow_cli import services
from leadflow_cli.commands.parsing import add_command, add_group
from leadflow_cli.context import Context
from leadflow_cli.output import table

SET_HELP = ("a setting, KEY=VALUE (repeatable); VALUE is read as JSON when it is JSON: rate_limit_per_minute=10, "
            "allowed_origins='[\"https://www.example.com\"]', thank_you_url=/thanks, consent_text=null (clears)")


def register(groups: Any, common: Any) -> None:
    forms = add_group(groups, "forms", help="the forms landing pages post to, with their embed snippets")
    add_command(forms, common, "list", full_name="forms list", run=list_forms, help="every form")
    show = add_command(forms, common, "show", full_name="forms show", run=show_form,
                       help="one form's settings and its embed snippets")
    show.add_argument("form_id")
    create = add_command(forms, common, "create", full_name="forms create", run=create_form,
                         help="a new form (settings left out take their defaults; README, \"Per-form configuration\")")
    create.add_argument("form_id", help="the id in the form's URL: letters, digits, - and _")
    create.add_argument("--name", required=True, help="a name for people")
    create.add_argument("--set", action="append", metavar="KEY=VALUE", help=SET_HELP)
    update = add_command(forms, common, "update", full_name="forms update", run=update_form,
                         help="change some of a form's settings (the others stay as they are)")
    update.add_argument("form_id")
    update.add_argument("--set", action="append", metavar="KEY=VALUE", required=True, help=SET_HELP)
    for action, what in (("disable", "switch a form off: its posts are answered 410 form_disabled"),
                         ("enable", "switch a form back on")):
        switch = add_command(forms, common, action, full_name=f"forms {action}", run=switch_form, help=what)
        switch.add_argument("form_id")
        switch.set_defaults(enabled=action == "enable")
    snippet = add_command(forms, common, "snippet", full_name="forms snippet", run=print_snippet,
                          help="the form's HTML to paste into a landing page")
    snippet.add_argument("form_id")
    snippet.add_argument("--js", action="store_true",
                         help="the variant enhanced by leadflow.js (copy web/leadflow.js next to the page)")


def list_forms(context: Context) -> None:
    from leadflow.capture import form_admin

    target = context.target
    answer = form_admin.list_forms(services.forms(target), services.api_url(target)).model_dump(mode="json")
    context.printer.answer(answer, lambda: table(
        ["form", "name", "on", "language", "profile", "origins", "posts to"],
        [[f["form_id"], f["name"], "yes" if f["enabled"] else "NO", f["language"], f["scoring_profile"],
          len(f["allowed_origins"]) or "any", f["embed"]["action_url"]] for f in answer["forms"]]))


def show_form(context: Context) -> None:
    from leadflow.capture import form_admin

    target = context.target
    form = form_admin.get_form(services.forms(target), context.args.form_id, services.api_url(target))
    _answer_form(context, form.model_dump(mode="json"))


def create_form(context: Context) -> None:
    from leadflow.capture import form_admin
    from leadflow.shared.refusal import parsed

    target = context.target
    new = parsed(form_admin.NewForm, {**services.settings_of(context.args.set), "form_id": context.args.form_id,
                                      "name": context.args.name}, form_admin.InvalidForm)
    form = form_admin.create_form(services.forms(target), new, services.api_url(target))
    _answer_form(context, form.model_dump(mode="json"), done="created")


def update_form(context: Context) -> None:
    from leadflow.capture import form_admin
    from leadflow.shared.refusal import parsed

    target = context.target
    changes = parsed(form_admin.FormChanges, services.settings_of(context.args.set), form_admin.InvalidForm)
    form = form_admin.update_form(services.forms(target), context.args.form_id, changes, services.api_url(target))
    _answer_form(context, form.model_dump(mode="json"), done="changed")


def switch_form(context: Context) -> None:
    from leadflow.capture import form_admin

    target = context.target
    form = form_admin.set_form_enabled(services.forms(target), context.args.form_id, context.args.enabled,
                                       services.api_url(target))
    _answer_form(context, form.model_dump(mode="json"), done="switched on" if form.enabled else "switched off")


def print_snippet(context: Context) -> None:
    from leadflow.capture import form_admin

    target = context.target
    form = form_admin.get_form(services.forms(target), context.args.form_id, services.api_url(target))
    snippet = form.embed.leadflow_js if context.args.js else form.embed.html
    context.printer.answer({"form_id": form.form_id, "snippet": snippet}, snippet)


def _answer_form(context: Context, form: dict[str, Any], *, done: str | None = None) -> None:
    def text() -> str:
        settings = {k: v for k, v in form.items() if k not in ("embed", "form_id")}
        lines = [f"form {form['form_id']}" + (f": {done}" if done else ""), "",
                 table(["setting", "value"], [[k, _shown(v)] for k, v in settings.items()]), "",
                 f"posts to: {form['embed']['action_url']}",
                 f"snippet:  leadflow forms snippet {form['form_id']} [--js]"]
        return "\n".join(lines)

    context.printer.answer(form, text)


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value).lower() if isinstance(value, bool) else str(value)
