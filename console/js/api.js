// The leads API with the user's ID token. Errors come as the API shapes them
// (`{code, message, errors}`); a 401 means the session is gone: sign in again and come
// back to the same page.

import { idToken, refresh, signIn } from "./auth.js";

let apiUrl = "";

export function configure(settings) {
  apiUrl = settings.apiUrl;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.message || body.code)) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || null;
    this.errors = (body && body.errors) || [];
    this.body = body || {}; // what else the error says, e.g. a 409's `status` and `allowed`
  }
}

async function send(path, token, options) {
  return fetch(`${apiUrl}${path}`, {
    ...options, headers: { Accept: "application/json", ...(options.headers || {}), Authorization: token },
  });
}

/** GET (or `options.method`) `path` with `query` (empty values left out); the JSON answer. */
export async function request(path, options = {}) {
  const answer = await signedFetch(path, options);
  const body = await answer.json().catch(() => null);
  if (!answer.ok) throw new ApiError(answer.status, body);
  return body;
}

/** As `request`, but the Response as it came (a file to save, its headers read). */
export async function signedFetch(path, { query = {}, ...options } = {}) {
  const params = new URLSearchParams(Object.entries(query).filter(([, value]) => value !== "" && value != null));
  const target = params.size ? `${path}?${params}` : path;
  let token = await idToken();
  if (!token) return lostSession();
  let answer = await send(target, token, options);
  if (answer.status === 401) {
    const renewed = await refresh();
    if (!renewed) return lostSession();
    token = renewed.idToken;
    answer = await send(target, token, options);
    if (answer.status === 401) return lostSession();
  }
  return answer;
}

function lostSession() {
  signIn(location.pathname);
  return new Promise(() => {}); // the page is leaving
}

/** The word key explaining a failed request to a person: 403 and 404 are not "try again". */
export function describe(error) {
  if (!(error instanceof ApiError)) return "error.network";
  if (error.status === 403) return error.code === "admins_only" ? "error.adminsOnly" : "error.forbidden";
  if (error.status === 404) return "error.notFound";
  if (error.status === 409) return "error.conflict";
  if (error.status >= 400 && error.status < 500) return "error.invalid";
  return "error.failed";
}
