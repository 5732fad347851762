// Each email's frame as tall as the email (no inner scrollbar, nothing cropped): the
// frames are same-origin (sandboxed without scripts), so the page reads their height.
function fit(frame) {
  const doc = frame.contentDocument;
  if (!doc || !doc.documentElement) return;
  // Measured with the frame at no height: a document is never shorter than its frame, so
  // a short email measured in the default frame would keep that frame's height.
  frame.style.height = "0";
  frame.style.height = `${doc.documentElement.scrollHeight + 2}px`;
}

for (const frame of document.querySelectorAll("iframe")) {
  if (frame.contentDocument && frame.contentDocument.readyState === "complete") fit(frame);
  frame.addEventListener("load", () => fit(frame));
}
window.addEventListener("resize", () => document.querySelectorAll("iframe").forEach(fit));
