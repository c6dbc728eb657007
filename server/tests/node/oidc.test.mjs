// node --test server/tests/node/: the OpenID Connect provider as openid-client (an
// OpenID-certified relying party library) sees it, against a real `thaiid-server serve`
// (THAIID_SERVER_BIN, default target/debug/thaiid-server) on a SQLite file of its own, with
// the demo seeded and three systems registered as clients (one of them for RS256 ID tokens).
// Discovery, the code flow with PKCE (client_secret_basic, client_secret_post, a public
// client), ID token validation (alg, signature against the JWKS, iss, aud, nonce, exp),
// max_age (auth_time) and prompt=login, acr_values and the acr claim (SPEC §7 assurance
// levels), userinfo, RP-initiated logout.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as client from "openid-client";

const repo = resolve(import.meta.dirname, "../../..");
const bin = process.env.THAIID_SERVER_BIN
  ?? join(resolve(repo, process.env.CARGO_TARGET_DIR ?? "target"), "debug/thaiid-server");
const dir = mkdtempSync(join(tmpdir(), "thaiid-oidc-"));
const env = {
  ...process.env,
  DATABASE_URL: `sqlite:${join(dir, "server.db")}`,
  THAIID_SERVER_OTP_KEY_FILE: join(dir, "otp.key"),
  THAIID_SERVER_CARD_KEY_FILE: join(dir, "card.key"),
  THAIID_SERVER_OIDC_KEY_FILE: join(dir, "oidc-keys.json"),
};
const admin = (...args) => execFileSync(bin, args, { env, encoding: "utf8" });

const CALLBACK = "https://hr.example.go.th/oidc/callback";
const BYE = "https://hr.example.go.th/bye";
let site, server, secret, rsSecret;
/** The browser's session cookie, as the login pages set it. */
let cookie = "";

function freePort() {
  return new Promise((done) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

before(async () => {
  const port = await freePort();
  site = `http://127.0.0.1:${port}`;
  admin("demo", "seed");
  const added = admin("system", "add", "01010101", "ระบบทดสอบ", "--url", "https://hr.example.go.th/",
    "--redirect-uri", CALLBACK, "--post-logout-redirect-uri", BYE);
  secret = added.match(/^client_secret: (\S+)$/m)[1];
  admin("system", "add", "02010101", "ระบบบริหารงานบุคคล", "--redirect-uri", CALLBACK, "--public");
  const rs = admin("system", "add", "01010102", "ระบบสารบรรณอิเล็กทรอนิกส์", "--redirect-uri", CALLBACK,
    "--id-token-alg", "RS256");
  rsSecret = rs.match(/^client_secret: (\S+)$/m)[1];
  server = spawn(bin, ["serve"], {
    env: { ...env, THAIID_SERVER_LISTEN: `127.0.0.1:${port}`, THAIID_SERVER_PUBLIC_URL: site },
    stdio: "ignore",
  });
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${site}/login`)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("thaiid-server did not start");
});

after(() => {
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** One browser step: GET or form POST with the session cookie, redirects not followed. */
async function browse(path, form) {
  const headers = { cookie };
  const init = { redirect: "manual", headers };
  if (form) {
    init.method = "POST";
    init.body = new URLSearchParams(form);
    headers.origin = site;
  }
  const response = await fetch(new URL(path, site), init);
  const set = response.headers.get("set-cookie");
  if (set) cookie = set.split(";")[0];
  return response;
}

const csrfOf = async (response) =>
  (await response.text()).match(/<meta name="csrf-token" content="([^"]+)"/)[1];

/** The demo person logs in by password + OTP on the login page the provider sent them to. */
async function logIn() {
  const csrf = await csrfOf(await browse("/login"));
  const step = await browse("/login", { username: "somchai.t", password: "demo-password-2569", csrf });
  assert.equal(step.headers.get("location"), "/login/otp");
  const otp = admin("demo", "otp").trim();
  const done = await browse("/login/otp", { code: otp, csrf: await csrfOf(await browse("/login/otp")) });
  // Back to a system: a page that moves on by itself (a redirect would break form-action).
  assert.equal(done.status, 200);
  const refresh = (await done.text()).match(/<meta http-equiv="refresh" content="0;url=([^"]+)"/)[1];
  return refresh.replaceAll("&amp;", "&");
}

/**
 * A code flow of `config` to the redirect URI; `loggedIn` false logs in on the way; `extra`
 * adds to the authorization request's parameters.
 */
async function codeFlow(config, loggedIn, extra = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK, scope: "openid profile", nonce, state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256",
    ...extra,
  });
  let step = await browse(url.pathname + url.search);
  if (!loggedIn) {
    assert.equal(step.headers.get("location"), "/login");
    const back = await logIn();
    assert.equal(back, url.pathname + url.search, "the login page goes back to the request");
    step = await browse(back);
  }
  const callback = new URL(step.headers.get("location"));
  assert.equal(callback.origin + callback.pathname, CALLBACK);
  return client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true,
  });
}

/**
 * The provider as client `clientId` sees it; `metadata` is the client's registration as the
 * relying party knows it. Every ID token's signature is checked against the JWKS too
 * (openid-client checks claims and `alg` by default, the signature only when asked).
 */
async function discover(clientId, auth, metadata) {
  const config = await client.discovery(new URL(site), clientId, metadata, auth,
    { execute: [client.allowInsecureRequests] });
  client.enableNonRepudiationChecks(config);
  return config;
}

/** The header of a compact JWS. */
const headerOf = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[0], "base64url"));

test("discovery, the code flow by client_secret_basic, the ID token and userinfo", async () => {
  const config = await discover("01010101", client.ClientSecretBasic(secret));
  const metadata = config.serverMetadata();
  assert.equal(metadata.issuer, site);
  assert.deepEqual(metadata.id_token_signing_alg_values_supported, ["ES256", "RS256"]);
  assert.deepEqual(metadata.code_challenge_methods_supported, ["S256"]);
  const tokens = await codeFlow(config, false);
  assert.equal(headerOf(tokens.id_token).alg, "ES256");
  const claims = tokens.claims();
  assert.equal(claims.iss, site);
  assert.equal(claims.aud, "01010101");
  assert.equal(claims.preferred_username, "somchai.t");
  assert.equal(claims.name, "นายสมชาย ทดสอบ");
  assert.deepEqual(claims.amr, ["pwd", "otp"]);
  assert.ok(claims.auth_time <= claims.iat);
  assert.notEqual(claims.sub, "1103700123458");
  assert.equal(tokens.refresh_token, undefined);
  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.preferred_username, "somchai.t");

  // Signed in already: the provider sends the browser straight back.
  const again = await codeFlow(config, true);
  assert.equal(again.claims().sub, claims.sub, "sub is stable");
});

test("client_secret_post, and a public client with PKCE alone", async () => {
  const post = await discover("01010101", client.ClientSecretPost(secret));
  const tokens = await codeFlow(post, cookie !== "");
  const publicClient = await discover("02010101", client.None());
  const spa = await codeFlow(publicClient, true);
  assert.equal(spa.claims().aud, "02010101");
  assert.equal(spa.claims().sub, tokens.claims().sub);
});

test("a client registered for RS256: openid-client validates its RS256 ID token", async () => {
  const config = await discover("01010102", client.ClientSecretBasic(rsSecret),
    { id_token_signed_response_alg: "RS256" });
  const tokens = await codeFlow(config, cookie !== "");
  const header = headerOf(tokens.id_token);
  assert.equal(header.alg, "RS256");
  assert.equal(header.typ, "JWT");
  const claims = tokens.claims();
  assert.equal(claims.aud, "01010102");
  assert.equal(claims.preferred_username, "somchai.t");
  // The key it was checked with: the JWKS's RSA key of that kid.
  const jwks = await (await fetch(config.serverMetadata().jwks_uri)).json();
  const key = jwks.keys.find((k) => k.kid === header.kid);
  assert.deepEqual([key.kty, key.alg, key.use, key.e], ["RSA", "RS256", "sig", "AQAB"]);
  assert.equal(Buffer.from(key.n, "base64url").length, 256);

  // The ES256 client's tokens are not what an RS256 relying party accepts: alg is per client.
  const expectingRs = await discover("01010101", client.ClientSecretBasic(secret),
    { id_token_signed_response_alg: "RS256" });
  await assert.rejects(codeFlow(expectingRs, true), (error) => {
    assert.match(error.cause.message, /unexpected JWT "alg" header parameter/);
    assert.equal(error.cause.cause.header.alg, "ES256");
    return true;
  });
});

test("max_age: auth_time as openid-client checks it; prompt=login: the login page again", async () => {
  const config = await discover("01010101", client.ClientSecretBasic(secret));
  if (cookie === "") await codeFlow(config, false);
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const params = {
    redirect_uri: CALLBACK, scope: "openid profile", nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256",
  };
  const url = client.buildAuthorizationUrl(config, { ...params, max_age: "3600" });
  const step = await browse(url.pathname + url.search);
  // openid-client requires auth_time and refuses a login older than maxAge.
  const tokens = await client.authorizationCodeGrant(config, new URL(step.headers.get("location")), {
    pkceCodeVerifier: verifier, expectedNonce: nonce, maxAge: 3600, idTokenExpected: true,
  });
  assert.equal(typeof tokens.claims().auth_time, "number");
  assert.deepEqual(config.serverMetadata().prompt_values_supported, ["none", "login"]);
  // Signed in, prompt=login: the login page, which shows rather than going to /systems.
  const login = client.buildAuthorizationUrl(config, { ...params, prompt: "login" });
  assert.equal((await browse(login.pathname + login.search)).headers.get("location"), "/login");
  const page = await browse("/login");
  assert.equal(page.status, 200);
  assert.match(await page.text(), /log in again/);
});

test("acr_values: honoured as essential; the acr claim says the level reached", async () => {
  const one = "urn:thaiid:acr:one-factor";
  const two = "urn:thaiid:acr:two-factor";
  const config = await discover("01010101", client.ClientSecretBasic(secret));
  assert.deepEqual(config.serverMetadata().acr_values_supported, [one, two]);
  assert.ok(config.serverMetadata().claims_supported.includes("acr"));
  // Password + OTP is two factors: it meets a request for two, and says so.
  const tokens = await codeFlow(config, cookie !== "", { acr_values: two });
  assert.equal(tokens.claims().acr, two);
  assert.deepEqual(tokens.claims().amr, ["pwd", "otp"]);
  // The system made two-factor by IT: the same login goes straight through.
  admin("system", "require", "01010101", "two-factor");
  const required = await codeFlow(config, true, { acr_values: one });
  assert.equal(required.claims().acr, two);
  admin("system", "require", "01010101", "one-factor");
  // No level of ours: access_denied back to the relying party, with its state.
  await assert.rejects(codeFlow(config, true, { acr_values: "urn:example:gold" }), (error) => {
    assert.equal(error.error, "access_denied");
    assert.match(error.error_description, /acr_values/);
    return true;
  });
});

test("a wrong secret is refused", async () => {
  const config = await discover("01010101", client.ClientSecretBasic("not-the-secret"));
  await assert.rejects(codeFlow(config, cookie !== ""), (error) => {
    // RFC 6749 §5.2: 401 with a Basic challenge, since the client tried Basic.
    assert.equal(error.status, 401);
    assert.equal(error.cause[0].scheme, "basic");
    return true;
  });
});

test("RP-initiated logout with the ID token as hint", async () => {
  const config = await discover("01010101", client.ClientSecretBasic(secret));
  const tokens = await codeFlow(config, cookie !== "");
  const logout = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token, post_logout_redirect_uri: BYE, state: "bye-1",
  });
  const step = await browse(logout.pathname + logout.search);
  assert.equal(step.headers.get("location"), `${BYE}?state=bye-1`);
  const after = await browse("/systems");
  assert.equal(after.headers.get("location"), "/login", "signed out");
});
