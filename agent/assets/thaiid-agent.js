// thaiid-agent.js: the browser client of the ThaiID Login Agent's localhost API (SPEC §5,
// described in full by the agent's own https://127.0.0.1:47113/openapi.json).
// An ES module with no dependencies. Every call goes to the agent with
// `targetAddressSpace: "loopback"` (Chrome's Local Network Access; ignored elsewhere) and
// fails with an AgentError carrying a code and Thai and English messages to show.

/** Where the agent listens on every workstation. */
export const DEFAULT_AGENT_URL = "https://127.0.0.1:47113";

/** The reader, card and login events of `GET /v1/events`. */
export const EVENT_TYPES = Object.freeze([
  "reader-added", "reader-removed", "card-inserted", "card-removed", "login-started", "login-finished",
]);

const MESSAGES = {
  AGENT_NOT_RUNNING: [
    "ไม่พบโปรแกรมอ่านบัตรบนเครื่องนี้ กรุณาติดตั้งหรือเปิดโปรแกรม ThaiID Login Agent",
    "The ThaiID Login Agent is not running on this computer: install or start it.",
  ],
  AGENT_TIMEOUT: [
    "โปรแกรมอ่านบัตรไม่ตอบกลับ กรุณาลองใหม่อีกครั้ง",
    "The ThaiID Login Agent did not answer in time: try again.",
  ],
  AGENT_ERROR: [
    "โปรแกรมอ่านบัตรตอบกลับผิดพลาด กรุณาลองใหม่อีกครั้ง",
    "The ThaiID Login Agent answered with an error: try again.",
  ],
  UNKNOWN: ["เกิดข้อผิดพลาด กรุณาลองใหม่อีกครั้ง", "Something went wrong: try again."],
};

/**
 * A failed call. `code` is one of the agent's codes (NO_READER, NO_CARD, CARD_REMOVED,
 * CARD_UNREADABLE, CARD_EXPIRED, NOT_ENROLLED, SERVER_UNREACHABLE, SERVER_REJECTED, BUSY,
 * BAD_REQUEST, ORIGIN_NOT_ALLOWED, NOT_LOCAL_SESSION, REINSERT_CARD) or one of this client's: AGENT_NOT_RUNNING (the agent
 * cannot be reached: not installed, not running, certificate not trusted, or the browser
 * refused local network access), AGENT_TIMEOUT, AGENT_ERROR (an answer that is not the
 * agent's error JSON).
 */
export class AgentError extends Error {
  /**
   * @param {string} code
   * @param {string} messageTh what happened and what to do, in Thai
   * @param {string} messageEn the same in English
   * @param {number} [status] the HTTP status, 0 when there was no answer
   * @param {string} [reason] the login server's reason code, with SERVER_REJECTED
   */
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

/** @param {keyof MESSAGES} code @param {number} [status] */
function clientError(code, status = 0) {
  return new AgentError(code, MESSAGES[code][0], MESSAGES[code][1], status);
}

/**
 * The message to show a person for any error thrown by this client (or anything else).
 * @param {unknown} error
 * @param {"th" | "en"} [lang]
 * @returns {string}
 */
export function describeError(error, lang = "th") {
  const th = lang === "th";
  if (error instanceof AgentError) {
    return (th ? error.messageTh : error.messageEn) || error.messageEn || error.messageTh || error.code;
  }
  return MESSAGES.UNKNOWN[th ? 0 : 1];
}

/**
 * @typedef {{name: string, card_present: boolean}} Reader
 * @typedef {{version: string, enrolled: boolean, readers: Reader[]}} Status
 * @typedef {{type: string, data: object}} AgentEvent
 */

/** The agent on this workstation. */
export class ThaiIdAgent {
  /**
   * @param {{url?: string, timeoutMs?: number}} [options] `timeoutMs` bounds each call; the
   *   default leaves room for the agent's 30 s wait for a card plus the login server's answer.
   */
  constructor({ url = DEFAULT_AGENT_URL, timeoutMs = 40000 } = {}) {
    this.url = url.replace(/\/+$/, "");
    this.timeoutMs = timeoutMs;
  }

  /**
   * Whether the agent runs, is enrolled, and which readers hold a card. No personal data.
   * @returns {Promise<Status>}
   * @throws {AgentError} AGENT_NOT_RUNNING when the agent cannot be reached at all
   */
  async status() {
    return this.#call("GET", "/v1/status");
  }

  /**
   * Logs in with the inserted ID card; the agent waits up to 30 s for one. Send the
   * ticket to the login server's completion URL.
   * @param {string} nonce from the login server, bound to this browser session
   * @returns {Promise<{ticket: string, expiresAt: Date}>}
   * @throws {AgentError} e.g. NO_CARD, CARD_EXPIRED, SERVER_REJECTED (with `.reason`), BUSY
   */
  async login(nonce) {
    const answer = await this.#call("POST", "/v1/login", { nonce });
    return { ticket: answer.ticket, expiresAt: new Date(answer.expires_at) };
  }

  /**
   * Follows reader, card and login events (EventSource reconnects by itself).
   * @param {(event: AgentEvent) => void} onEvent e.g. `{type: "card-inserted", data: {reader: "..."}}`
   * @returns {() => void} stops following
   */
  events(onEvent) {
    const source = new EventSource(`${this.url}/v1/events`);
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (event) => {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch {
          data = {};
        }
        onEvent({ type, data });
      });
    }
    return () => source.close();
  }

  /** One call: the answer's JSON, or an AgentError. */
  async #call(method, path, body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    /** @type {RequestInit & {targetAddressSpace: string}} */
    const init = { method, signal: controller.signal, targetAddressSpace: "loopback" };
    if (body !== undefined) {
      // Both headers make the browser preflight the call; the agent refuses a POST without them.
      init.headers = { "Content-Type": "application/json", "X-ThaiID-Agent": "1" };
      init.body = JSON.stringify(body);
    }
    let response;
    let answer;
    try {
      response = await fetch(`${this.url}${path}`, init);
      answer = await response.json().catch(() => undefined);
    } catch {
      throw clientError(controller.signal.aborted ? "AGENT_TIMEOUT" : "AGENT_NOT_RUNNING");
    } finally {
      clearTimeout(timer);
    }
    if (answer === undefined && controller.signal.aborted) throw clientError("AGENT_TIMEOUT");
    if (response.ok && answer !== undefined) return answer;
    const error = answer && answer.error;
    if (error && typeof error.code === "string") {
      throw new AgentError(error.code, error.message_th, error.message_en, response.status, error.reason);
    }
    throw clientError("AGENT_ERROR", response.status);
  }
}
