// Files in the browser, for the admin pages: one saved to the user's disk (from data the
// page fetched with the user's token, so never through a plain link), one chosen by the
// user sent as base64, and CSV text read back into rows to show what a row held.

/** Save `blob` as a download named `name`, through a Blob URL revoked right after. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** The file's bytes in base64 (what the import API takes in JSON). */
export async function base64Of(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const parts = [];
  for (let start = 0; start < bytes.length; start += 0x8000) {
    parts.push(String.fromCharCode(...bytes.subarray(start, start + 0x8000)));
  }
  return btoa(parts.join(""));
}

/** CSV text as records, as Python's csv reader reads it: quoted cells may hold the
 * separator, quotes ("") and line breaks; a blank line is a record too (of no cells), so
 * record n is the spreadsheet's line n. */
export function parseCsv(text, separator = ",") {
  const records = [];
  let record = [];
  let cell = "";
  let quoted = false;
  let started = false; // the record has a cell (even an empty one)
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"' && cell === "") {
      quoted = true;
      started = true;
    } else if (char === separator) {
      record.push(cell);
      cell = "";
      started = true;
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[index + 1] === "\n") index += 1;
      if (started || cell) record.push(cell);
      records.push(record);
      record = [];
      cell = "";
      started = false;
    } else {
      cell += char;
      started = true;
    }
  }
  if (started || cell) {
    record.push(cell);
    records.push(record);
  }
  return records;
}
