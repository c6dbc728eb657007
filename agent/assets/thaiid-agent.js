// thaiid-agent.js: the browser client of the ThaiID Login Agent's localhost API.
// An ES module with no dependencies. Every call goes to https://127.0.0.1:47113 with
// `targetAddressSpace: "loopback"` (Chrome's Local Network Access) and fails with an
// AgentError carrying the agent's code and its Thai and English messages.

export const DEFAULT_AGENT_URL = "https://127.0.0.1:47113";

const NOT_RUNNING = {
  th: "ไม่พบโปรแกรมอ่านบัตรบนเครื่องนี้ กรุณาติดตั้งหรือเปิดโปรแกรม ThaiID Login Agent",
  en: "The ThaiID Login Agent is not running on this computer: install or start it.",
};

/** An error from the agent, or AGENT_NOT_RUNNING when it cannot be reached at all. */
export class AgentError extends Error {
  constructor(code, messageTh, messageEn, status = 0, reason = undefined) {
    super(`${code}: ${messageEn}`);
    this.name = "AgentError";
    this.code = code;
    this.messageTh = messageTh;
    this.messageEn = messageEn;
    this.status = status;
    this.reason = reason;
  }
}

/** The message to show a person, Thai by default. */
export function describeError(error, lang = "th") {
  if (error instanceof AgentError) return lang === "th" ? error.messageTh : error.messageEn;
  return lang === "th" ? "เกิดข้อผิดพลาด กรุณาลองใหม่" : "Something went wrong: try again.";
}

export class ThaiIdAgent {
  /** @param {{url?: string, timeoutMs?: number}} options */
  constructor({ url = DEFAULT_AGENT_URL, timeoutMs = 40000 } = {}) {
    this.url = url.replace(/\/$/, "");
    this.timeoutMs = timeoutMs;
  }

  /** @returns {Promise<{version: string, enrolled: boolean, readers: {name: string, card_present: boolean}[]}>} */
  async status() {
    return this.#call("GET", "/v1/status");
  }

  /**
   * Logs in with the inserted card (the agent waits up to 30 s for one).
   * @param {string} nonce from the login server, bound to this browser session
   * @returns {Promise<{ticket: string, expiresAt: Date}>}
   */
  async login(nonce) {
    const answer = await this.#call("POST", "/v1/login", { nonce });
    return { ticket: answer.ticket, expiresAt: new Date(answer.expires_at) };
  }

  /**
   * Follows reader, card and login events. @returns {() => void} to stop.
   * @param {(event: {type: string, data: object}) => void} onEvent
   */
  events(onEvent) {
    const source = new EventSource(`${this.url}/v1/events`);
    const types = ["reader-added", "reader-removed", "card-inserted", "card-removed", "login-started", "login-finished"];
    for (const type of types) {
      source.addEventListener(type, (event) => onEvent({ type, data: JSON.parse(event.data) }));
    }
    return () => source.close();
  }

  async #call(method, path, body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    const init = { method, signal: controller.signal, targetAddressSpace: "loopback", headers: {} };
    if (body !== undefined) {
      init.headers = { "Content-Type": "application/json", "X-ThaiID-Agent": "1" };
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(`${this.url}${path}`, init);
    } catch (cause) {
      if (controller.signal.aborted) {
        throw new AgentError("AGENT_TIMEOUT", "โปรแกรมอ่านบัตรไม่ตอบกลับ กรุณาลองใหม่", "The agent did not answer in time: try again.");
      }
      throw new AgentError("AGENT_NOT_RUNNING", NOT_RUNNING.th, NOT_RUNNING.en);
    } finally {
      clearTimeout(timer);
    }
    const answer = await response.json().catch(() => undefined);
    if (response.ok && answer !== undefined) return answer;
    const error = answer && answer.error;
    if (error && error.code) {
      throw new AgentError(error.code, error.message_th, error.message_en, response.status, error.reason);
    }
    throw new AgentError("AGENT_ERROR", "โปรแกรมอ่านบัตรตอบกลับผิดพลาด", "The agent answered with an error.", response.status);
  }
}
