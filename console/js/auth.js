// Sign-in through the user pool's managed login: the authorization code flow with PKCE.
// Tokens live in sessionStorage only (gone with the tab), are refreshed before they
// expire, and sign-out ends the session at the pool's domain too. Nothing personal goes
// into a URL: the page to come back to is a path of ids.

const SESSION = "leadflow.session";
const PENDING = "leadflow.signin";
const SIGNED_OUT = "leadflow.signedOut";
const EARLY_MS = 5 * 60 * 1000; // refresh five minutes before the ID token expires

let config = null;
let refreshTimer = null;
let refreshing = null;

export function configure(settings) {
  config = settings;
}

function base64url(bytes) {
  let text = "";
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(size = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(size)));
}

async function challengeOf(verifier) {
  return base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
}

function callbackUrl() {
  return `${location.origin}${config.consolePath}/callback`;
}

function read(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

let leaving = null; // the one trip to the sign-in page this page makes

/** Off to the sign-in page; back to `returnTo` (a console path) afterwards. Once per page:
 * two requests that find the session gone at the same moment must not each store a state
 * and a verifier, or the page the browser lands on is the first's while the second's is
 * kept, and the callback refuses it ("signing in did not work"). */
export function signIn(returnTo = location.pathname, language = document.documentElement.lang) {
  if (!leaving) leaving = startSignIn(returnTo, language);
  return leaving;
}

async function startSignIn(returnTo, language) {
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  sessionStorage.removeItem(SESSION);
  const query = new URLSearchParams({
    response_type: "code", client_id: config.clientId, redirect_uri: callbackUrl(),
    scope: "openid email profile", state, code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256", lang: language || "en",
  });
  location.assign(`${config.loginUrl}/oauth2/authorize?${query}`);
}

async function tokenRequest(fields) {
  const answer = await fetch(`${config.loginUrl}/oauth2/token`, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: config.clientId, ...fields }),
  });
  if (!answer.ok) throw new Error(`token endpoint answered ${answer.status}`);
  return answer.json();
}

function keep(tokens, refreshToken) {
  const session = {
    idToken: tokens.id_token, refreshToken: tokens.refresh_token || refreshToken,
    expiresAt: Date.now() + Number(tokens.expires_in || 3600) * 1000,
  };
  sessionStorage.setItem(SESSION, JSON.stringify(session));
  scheduleRefresh(session);
  return session;
}

/** The callback: the code for tokens (once, with the verifier); the path to go back to. */
export async function completeSignIn() {
  const params = new URLSearchParams(location.search);
  const pending = read(PENDING);
  sessionStorage.removeItem(PENDING);
  // The code must not stay in the address bar or the history.
  history.replaceState(null, "", config.consolePath);
  if (!pending || !params.get("code") || params.get("state") !== pending.state) {
    throw new Error("sign-in could not be completed");
  }
  keep(await tokenRequest({
    grant_type: "authorization_code", code: params.get("code"), redirect_uri: callbackUrl(),
    code_verifier: pending.verifier,
  }));
  sessionStorage.removeItem(SIGNED_OUT);
  const back = pending.returnTo || "";
  return back.startsWith(config.consolePath) && !back.endsWith("/callback") ? back : config.consolePath;
}

function scheduleRefresh(session) {
  clearTimeout(refreshTimer);
  const wait = Math.max(session.expiresAt - Date.now() - EARLY_MS, 0);
  refreshTimer = setTimeout(() => refresh().catch(() => {}), wait);
}

/** New tokens from the refresh token; null when the session cannot be renewed. */
export function refresh() {
  if (!refreshing) {
    const session = read(SESSION);
    refreshing = (async () => {
      if (!session || !session.refreshToken) return null;
      try {
        return keep(await tokenRequest({ grant_type: "refresh_token", refresh_token: session.refreshToken }),
                    session.refreshToken);
      } catch {
        sessionStorage.removeItem(SESSION);
        return null;
      }
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

/** The current ID token (refreshed first when about to expire); null: not signed in. */
export async function idToken() {
  let session = read(SESSION);
  if (session && session.expiresAt - Date.now() < EARLY_MS) session = await refresh();
  if (session) scheduleRefresh(session);
  return session ? session.idToken : null;
}

/** What the ID token says of its user (groups, manager id); no verification: display only. */
export function user() {
  const session = read(SESSION);
  if (!session) return null;
  try {
    const payload = session.idToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0))));
    return { email: claims.email, managerId: claims["custom:manager_id"] || null,
             admin: (claims["cognito:groups"] || []).includes("admins") };
  } catch {
    return null;
  }
}

export function wasSignedOut() {
  return sessionStorage.getItem(SIGNED_OUT) === "1";
}

/** Forget the tokens here and at the pool's domain; the console's start page follows. */
export function signOut() {
  clearTimeout(refreshTimer);
  sessionStorage.removeItem(SESSION);
  sessionStorage.setItem(SIGNED_OUT, "1");
  const query = new URLSearchParams({ client_id: config.clientId, logout_uri: `${location.origin}${config.consolePath}` });
  location.assign(`${config.loginUrl}/logout?${query}`);
}
