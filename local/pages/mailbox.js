// Each email's frame as tall as the email (no inner scrollbar, nothing cropped): the
// frames are same-origin (sandboxed without scripts), so the page reads their height.
function fit(frame) {
  const doc = frame.contentDocument;
  if (!doc || !doc.documentElement) return;
  frame.style.height = `${doc.documentElement.scrollHeight + 2}px`;
}

for (const frame of document.querySelectorAll("iframe")) {
  if (frame.contentDocument && frame.contentDocument.readyState === "complete") fit(frame);
  frame.addEventListener("load", () => fit(frame));
}
window.addEventListener("resize", () => document.querySelectorAll("iframe").forEach(fit));
