// node --test agent/assets/: thaiid-agent.js against a stubbed fetch and EventSource, and
// sanity checks of openapi.json and demo-login.html.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  ThaiIdAgent, AgentError, describeError, localNetworkAccess, DEFAULT_AGENT_URL, EVENT_TYPES,
} from "./thaiid-agent.js";

const realFetch = globalThis.fetch;
const realNavigator = Object.getOwnPropertyDescriptor(globalThis, "navigator");
afterEach(() => {
  globalThis.fetch = realFetch;
  if (realNavigator) Object.defineProperty(globalThis, "navigator", realNavigator);
  else delete globalThis.navigator;
});

/** A browser whose Local Network Access permissions are `states` (name → state; others throw). */
function permissions(states) {
  const asked = [];
  Object.defineProperty(globalThis, "navigator", {
    configurable: true,
    value: {
      permissions: {
        query: async ({ name }) => {
          asked.push(name);
          if (!(name in states)) throw new TypeError(`'${name}' is not a valid PermissionName`);
          return { state: states[name] };
        },
      },
    },
  });
  return asked;
}

/** A streamed body that hands out `chunks` one by one, then waits (or ends, with `end`). */
function stream(chunks, { end = false } = {}) {
  const encoder = new TextEncoder();
  return new ReadableStream({
    pull(controller) {
      if (chunks.length > 0) controller.enqueue(encoder.encode(chunks.shift()));
      else if (end) controller.close();
      else return new Promise(() => {});
    },
  });
}

const eventStream = (chunks, options) => new Response(stream(chunks, options), {
  status: 200, headers: { "content-type": "text/event-stream" },
});

/** Resolves once `condition()` holds (polls; fails after 2 s). */
async function until(condition) {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > 2000) throw new Error("condition not met in 2 s");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Replaces fetch with `respond`; returns the calls it gets. */
function stub(respond) {
  const calls = [];
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return respond(url, init);
  };
  return calls;
}

const json = (status, body) => new Response(JSON.stringify(body), {
  status, headers: { "content-type": "application/json" },
});

const agentError = (status, code, extra = {}) =>
  json(status, { error: { code, message_th: `ไทย ${code}`, message_en: `English ${code}`, ...extra } });

test("status GETs /v1/status on loopback without the POST headers", async () => {
  const body = { version: "0.1.0", enrolled: true, readers: [{ name: "Virtual PCD 00 00", card_present: true }] };
  const calls = stub(() => json(200, body));
  assert.deepEqual(await new ThaiIdAgent().status(), body);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, `${DEFAULT_AGENT_URL}/v1/status`);
  assert.equal(calls[0].init.method, "GET");
  assert.equal(calls[0].init.targetAddressSpace, "loopback");
  assert.equal(calls[0].init.body, undefined);
  assert.equal(calls[0].init.headers, undefined);
  assert.ok(calls[0].init.signal instanceof AbortSignal);
});

test("login posts the nonce with both headers to loopback", async () => {
  const calls = stub(() => json(200, { ticket: "t-1", expires_at: "2030-01-01T00:00:00Z" }));
  const result = await new ThaiIdAgent().login("n-1");
  assert.equal(result.ticket, "t-1");
  assert.ok(result.expiresAt instanceof Date);
  assert.equal(result.expiresAt.toISOString(), "2030-01-01T00:00:00.000Z");
  assert.equal(calls[0].url, "https://127.0.0.1:47113/v1/login");
  assert.equal(calls[0].init.method, "POST");
  assert.equal(calls[0].init.targetAddressSpace, "loopback");
  assert.deepEqual(calls[0].init.headers, { "Content-Type": "application/json", "X-ThaiID-Agent": "1" });
  assert.deepEqual(JSON.parse(calls[0].init.body), { nonce: "n-1" });
});

test("a configured URL is used, trailing slash or not", async () => {
  const calls = stub(() => json(200, { version: "x", enrolled: false, readers: [] }));
  await new ThaiIdAgent({ url: "https://localhost:47114/" }).status();
  assert.equal(calls[0].url, "https://localhost:47114/v1/status");
});

test("an agent error body becomes an AgentError with its code, messages and status", async () => {
  stub(() => agentError(408, "NO_CARD"));
  await assert.rejects(new ThaiIdAgent().login("n"), (error) => {
    assert.ok(error instanceof AgentError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, "AgentError");
    assert.equal(error.code, "NO_CARD");
    assert.equal(error.status, 408);
    assert.equal(error.messageTh, "ไทย NO_CARD");
    assert.equal(error.messageEn, "English NO_CARD");
    assert.equal(error.reason, undefined);
    assert.equal(describeError(error), "ไทย NO_CARD");
    assert.equal(describeError(error, "en"), "English NO_CARD");
    return true;
  });
});

test("SERVER_REJECTED carries the server's reason", async () => {
  stub(() => agentError(403, "SERVER_REJECTED", { reason: "BAD_SIGNATURE" }));
  await assert.rejects(new ThaiIdAgent().login("n"), { code: "SERVER_REJECTED", status: 403, reason: "BAD_SIGNATURE" });
});

test("no agent at all is AGENT_NOT_RUNNING, for status and login", async () => {
  stub(() => { throw new TypeError("Failed to fetch"); });
  for (const call of [(a) => a.status(), (a) => a.login("n")]) {
    await assert.rejects(call(new ThaiIdAgent()), (error) => {
      assert.ok(error instanceof AgentError);
      assert.equal(error.code, "AGENT_NOT_RUNNING");
      assert.equal(error.status, 0);
      assert.match(describeError(error), /^เชื่อมต่อโปรแกรมอ่านบัตร ThaiID Login Agent บนเครื่องนี้ไม่ได้/);
      assert.match(describeError(error), /ใบรับรอง/);
      assert.match(describeError(error, "en"), /^Cannot reach the ThaiID Login Agent on this computer: it is not installed or not running, or the browser does not trust its certificate/);
      return true;
    });
  }
});

test("a non-JSON error is AGENT_ERROR with its status", async () => {
  stub(() => new Response("<h1>Bad Gateway</h1>", { status: 502, headers: { "content-type": "text/html" } }));
  await assert.rejects(new ThaiIdAgent().status(), (error) => {
    assert.equal(error.code, "AGENT_ERROR");
    assert.equal(error.status, 502);
    assert.ok(describeError(error).length > 0);
    return true;
  });
});

test("JSON without an error code is AGENT_ERROR too", async () => {
  stub(() => json(500, { oops: true }));
  await assert.rejects(new ThaiIdAgent().status(), { code: "AGENT_ERROR", status: 500 });
});

test("a call that takes too long is aborted: AGENT_TIMEOUT", async () => {
  const calls = stub((url, init) => new Promise((_, reject) => {
    init.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
  }));
  const started = Date.now();
  await assert.rejects(new ThaiIdAgent({ timeoutMs: 30 }).login("n"), { code: "AGENT_TIMEOUT", status: 0 });
  assert.ok(calls[0].init.signal.aborted);
  assert.ok(Date.now() - started < 2000);
});

test("an answer whose body stalls is aborted too", async () => {
  stub((url, init) => ({
    ok: true,
    status: 200,
    json: () => new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(new Error("aborted")))),
  }));
  await assert.rejects(new ThaiIdAgent({ timeoutMs: 30 }).status(), { code: "AGENT_TIMEOUT" });
});

test("describeError has a generic message for other errors", () => {
  assert.match(describeError(new Error("x")), /[ก-๙]/);
  assert.match(describeError(undefined, "en"), /went wrong/);
});

test("a failed call the browser's Local Network Access blocked is LOCAL_NETWORK_BLOCKED", async () => {
  stub(() => { throw new TypeError("Failed to fetch"); });
  const asked = permissions({ "loopback-network": "denied" });
  await assert.rejects(new ThaiIdAgent().login("n"), (error) => {
    assert.equal(error.code, "LOCAL_NETWORK_BLOCKED");
    assert.equal(error.status, 0);
    assert.match(describeError(error), /เบราว์เซอร์ไม่อนุญาต/);
    assert.match(describeError(error), /LocalNetworkAccessAllowedForUrls/);
    assert.match(describeError(error, "en"), /Local Network Access/);
    assert.match(describeError(error, "en"), /Site settings/);
    assert.doesNotMatch(describeError(error, "en"), /not installed/);
    return true;
  });
  assert.deepEqual(asked, ["loopback-network"]);
});

test("granted or undecided, a failed call is AGENT_NOT_RUNNING", async () => {
  stub(() => { throw new TypeError("Failed to fetch"); });
  for (const state of ["granted", "prompt"]) {
    permissions({ "loopback-network": state });
    await assert.rejects(new ThaiIdAgent().status(), { code: "AGENT_NOT_RUNNING" });
  }
});

test("localNetworkAccess asks the older name where the newer one is unknown, and never throws", async () => {
  const asked = permissions({ "local-network-access": "denied" });
  assert.equal(await localNetworkAccess(), "denied");
  assert.deepEqual(asked, ["loopback-network", "local-network-access"]);
  permissions({});
  assert.equal(await localNetworkAccess(), "unknown");
  Object.defineProperty(globalThis, "navigator", { configurable: true, value: {} });
  assert.equal(await localNetworkAccess(), "unknown");
});

test("REINSERT_CARD without messages gets this client's Thai and English", async () => {
  stub(() => json(409, { error: { code: "REINSERT_CARD" } }));
  await assert.rejects(new ThaiIdAgent().login("n"), (error) => {
    assert.equal(error.code, "REINSERT_CARD");
    assert.equal(error.status, 409);
    assert.match(describeError(error), /ถอดบัตรออกแล้วเสียบใหม่/);
    assert.match(describeError(error, "en"), /take it out and insert it again/);
    return true;
  });
});

test("events reads the stream with fetch on loopback, chunks split anywhere, keep-alives skipped", async () => {
  const calls = stub(() => eventStream([
    ": keep-alive\n\nevent: reader-added\ndata: {\"reader\":\"R\"}\n\nevent: card-ins",
    "erted\r\ndata: {\"reader\":",
    "\"R\"}\r\n\r\n:\n\nevent: login-finished\ndata: {\"origin\":\"https://sso\",\"ok\":false,\"code\":\"NO_CARD\"}\n\n",
    "event: card-removed\ndata: not json\n\n",
  ]));
  const seen = [];
  let opened = 0;
  const stop = new ThaiIdAgent().events((event) => seen.push(event), { onOpen: () => { opened += 1; } });
  await until(() => seen.length === 4);
  assert.equal(opened, 1);
  assert.deepEqual(seen, [
    { type: "reader-added", data: { reader: "R" } },
    { type: "card-inserted", data: { reader: "R" } },
    { type: "login-finished", data: { origin: "https://sso", ok: false, code: "NO_CARD" } },
    { type: "card-removed", data: {} },
  ]);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, "https://127.0.0.1:47113/v1/events");
  assert.equal(calls[0].init.targetAddressSpace, "loopback");
  assert.equal(calls[0].init.method, undefined);
  // Accept is CORS-safelisted: no preflight for the GET.
  assert.deepEqual(calls[0].init.headers, { Accept: "text/event-stream" });
  stop();
  assert.ok(calls[0].init.signal.aborted);
});

test("events tells why it cannot follow and tries again: the agent may start later", async () => {
  let answers = 0;
  const calls = stub(() => {
    answers += 1;
    if (answers === 1) throw new TypeError("Failed to fetch");
    if (answers === 2) return agentError(403, "NOT_LOCAL_SESSION");
    return eventStream(["event: card-inserted\ndata: {\"reader\":\"R\"}\n\n"]);
  });
  const errors = [];
  const inserted = [];
  let opened = 0;
  const stop = new ThaiIdAgent().onCardInserted((data) => inserted.push(data), {
    onError: (error) => errors.push(error), onOpen: () => { opened += 1; }, retryMs: [1],
  });
  await until(() => inserted.length === 1);
  stop();
  assert.deepEqual(errors.map((e) => [e.code, e.status]), [["AGENT_NOT_RUNNING", 0], ["NOT_LOCAL_SESSION", 403]]);
  assert.ok(errors.every((e) => e instanceof AgentError));
  assert.equal(opened, 1);
  assert.equal(calls.length, 3);
  assert.deepEqual(inserted, [{ reader: "R" }]);
});

test("events blocked by Local Network Access says so", async () => {
  stub(() => { throw new TypeError("Failed to fetch"); });
  permissions({ "loopback-network": "denied" });
  const errors = [];
  const stop = new ThaiIdAgent().events(() => {}, { onError: (error) => errors.push(error.code), retryMs: [1000] });
  await until(() => errors.length === 1);
  stop();
  assert.deepEqual(errors, ["LOCAL_NETWORK_BLOCKED"]);
});

test("a silent stream is given up after idleMs and followed again; an ended one too", async () => {
  let answers = 0;
  const calls = stub(() => {
    answers += 1;
    if (answers === 1) return eventStream([]);
    if (answers === 2) return eventStream([], { end: true });
    return eventStream(["event: card-inserted\ndata: {\"reader\":\"R\"}\n\n"]);
  });
  const errors = [];
  const seen = [];
  const stop = new ThaiIdAgent().events((event) => seen.push(event.type), {
    onError: (error) => errors.push(error.code), retryMs: [1], idleMs: 30,
  });
  await until(() => seen.length === 1);
  stop();
  assert.deepEqual(errors, ["AGENT_TIMEOUT", "AGENT_NOT_RUNNING"]);
  assert.ok(calls[0].init.signal.aborted);
});

test("stopping while waiting to try again ends the following", async () => {
  const calls = stub(() => { throw new TypeError("Failed to fetch"); });
  const errors = [];
  const stop = new ThaiIdAgent().events(() => {}, { onError: (error) => errors.push(error), retryMs: [20] });
  await until(() => errors.length === 1);
  stop();
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(calls.length, 1);
  assert.equal(errors.length, 1);
});

test("openapi.json documents the API of SPEC §5", () => {
  const doc = JSON.parse(readFileSync(new URL("./openapi.json", import.meta.url), "utf8"));
  assert.equal(doc.openapi, "3.1.0");
  assert.equal(doc.info.title, "ThaiID Login Agent localhost API");
  assert.equal(doc.servers[0].url, DEFAULT_AGENT_URL);
  assert.ok(doc.paths["/v1/status"].get);
  assert.ok(doc.paths["/v1/login"].post);
  assert.ok(doc.paths["/v1/events"].get.responses["200"].content["text/event-stream"]);
  assert.ok(doc.paths["/openapi.json"].get);
  for (const name of ["Status", "LoginRequest", "LoginResponse", "Error"]) assert.ok(doc.components.schemas[name], name);
  assert.deepEqual(doc.components.schemas.ErrorCode.enum, [
    "NO_READER", "NO_CARD", "CARD_REMOVED", "CARD_UNREADABLE", "CARD_EXPIRED", "NOT_ENROLLED",
    "SERVER_UNREACHABLE", "SERVER_REJECTED", "BUSY", "BAD_REQUEST", "ORIGIN_NOT_ALLOWED",
    "NOT_LOCAL_SESSION", "SESSION_LOCKED", "REINSERT_CARD",
  ]);
  const login = Object.keys(doc.paths["/v1/login"].post.responses);
  assert.deepEqual(login, ["200", "400", "403", "408", "409", "413", "415", "421", "422", "502", "503"]);
  for (const path of ["/v1/status", "/v1/events", "/openapi.json"]) {
    assert.deepEqual(Object.keys(doc.paths[path].get.responses), ["200", "403", "421"], path);
  }
  const text = JSON.stringify(doc);
  for (const needle of ["Vary: Origin", "Access-Control-Allow-Private-Network: true", "content-type, x-thaiid-agent", ...EVENT_TYPES]) {
    assert.ok(text.includes(needle), needle);
  }
});

test("demo-login.html has the ids the browser test uses and imports the client", () => {
  const html = readFileSync(new URL("./demo-login.html", import.meta.url), "utf8");
  for (const tag of ['<button id="login"', '<div id="status">', '<pre id="result"></pre>', '<pre id="error"></pre>']) {
    assert.ok(html.includes(tag), tag);
  }
  assert.ok(html.includes('<script type="module">'));
  assert.ok(html.includes('from "./thaiid-agent.js"'));
  assert.ok(html.includes("เข้าสู่ระบบด้วยการเสียบบัตรประชาชน"));
});
