// A console path no page answers.
import { t } from "../i18n.js";
import { href } from "../router.js";

export const title = "notFound.title";

export function render(main) {
  const heading = document.createElement("h1");
  heading.textContent = t("notFound.title");
  const back = document.createElement("a");
  back.href = href("/");
  back.dataset.link = "";
  back.textContent = t("backToQueue");
  main.append(heading, back);
}
