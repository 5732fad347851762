// A lead's page (the emails link here): its own issue builds it; until then, the way back.
import { t } from "../i18n.js";
import { href } from "../router.js";

export const title = "lead.title";

export function render(main) {
  const heading = document.createElement("h1");
  heading.textContent = t("lead.title");
  const text = document.createElement("p");
  text.textContent = t("lead.comingSoon");
  const back = document.createElement("a");
  back.href = href("/");
  back.dataset.link = "";
  back.textContent = t("backToQueue");
  main.append(heading, text, back);
}
