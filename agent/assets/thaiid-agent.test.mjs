// node --test agent/assets/: the client against a stubbed fetch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ThaiIdAgent, AgentError, describeError } from "./thaiid-agent.js";

function stub(respond) {
  const calls = [];
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return respond(url, init);
  };
  return calls;
}

const json = (status, body) => ({ ok: status < 300, status, json: async () => body });

test("login posts the nonce with both headers to loopback", async () => {
  const calls = stub(() => json(200, { ticket: "t-1", expires_at: "2030-01-01T00:00:00Z" }));
  const result = await new ThaiIdAgent().login("n-1");
  assert.equal(result.ticket, "t-1");
  assert.equal(result.expiresAt.toISOString(), "2030-01-01T00:00:00.000Z");
  assert.equal(calls[0].url, "https://127.0.0.1:47113/v1/login");
  assert.equal(calls[0].init.method, "POST");
  assert.equal(calls[0].init.targetAddressSpace, "loopback");
  assert.equal(calls[0].init.headers["X-ThaiID-Agent"], "1");
  assert.equal(calls[0].init.headers["Content-Type"], "application/json");
  assert.deepEqual(JSON.parse(calls[0].init.body), { nonce: "n-1" });
});

test("an agent error body becomes an AgentError with its messages", async () => {
  stub(() => json(403, { error: { code: "SERVER_REJECTED", message_th: "ปฏิเสธ", message_en: "refused", reason: "USED_NONCE" } }));
  await assert.rejects(new ThaiIdAgent().login("n"), (error) => {
    assert.ok(error instanceof AgentError);
    assert.equal(error.code, "SERVER_REJECTED");
    assert.equal(error.status, 403);
    assert.equal(error.reason, "USED_NONCE");
    assert.equal(describeError(error), "ปฏิเสธ");
    assert.equal(describeError(error, "en"), "refused");
    return true;
  });
});

test("no agent at all is AGENT_NOT_RUNNING", async () => {
  stub(() => { throw new TypeError("Failed to fetch"); });
  await assert.rejects(new ThaiIdAgent().status(), (error) => error.code === "AGENT_NOT_RUNNING" && error.messageTh.includes("ThaiID Login Agent"));
});

test("a non-JSON error is AGENT_ERROR", async () => {
  stub(() => ({ ok: false, status: 500, json: async () => { throw new SyntaxError("x"); } }));
  await assert.rejects(new ThaiIdAgent().status(), (error) => error.code === "AGENT_ERROR" && error.status === 500);
});

test("a call that takes too long is aborted", async () => {
  stub((url, init) => new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(new Error("aborted")))));
  await assert.rejects(new ThaiIdAgent({ timeoutMs: 20 }).login("n"), (error) => error.code === "AGENT_TIMEOUT");
});
