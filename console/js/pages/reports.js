// Placeholder until this page is built (issue 14): its heading only.
import { element } from "../dom.js";
import { t } from "../i18n.js";

export const title = "nav.reports";
export const adminOnly = true;

export function render(main) {
  main.append(element("h1", { text: t(title) }));
}
