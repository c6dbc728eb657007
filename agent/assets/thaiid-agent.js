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
    "เชื่อมต่อโปรแกรมอ่านบัตร ThaiID Login Agent บนเครื่องนี้ไม่ได้: โปรแกรมยังไม่ได้ติดตั้งหรือไม่ได้ทำงาน หรือเบราว์เซอร์ไม่เชื่อถือใบรับรองของโปรแกรม กรุณาติดต่อฝ่ายไอที",
    "Cannot reach the ThaiID Login Agent on this computer: it is not installed or not running, or the browser does not trust its certificate. Ask IT (thaiid-agent doctor shows which).",
  ],
  LOCAL_NETWORK_BLOCKED: [
    "เบราว์เซอร์ไม่อนุญาตให้หน้านี้เชื่อมต่อกับโปรแกรมอ่านบัตรบนเครื่องนี้ (การเข้าถึงเครือข่ายภายใน) "
      + "กรุณาคลิกไอคอนด้านซ้ายของแถบที่อยู่ > การตั้งค่าเว็บไซต์ แล้วเลือก \"อนุญาต\" ให้เข้าถึงแอปและบริการอื่นๆ ในอุปกรณ์นี้ "
      + "จากนั้นโหลดหน้านี้ใหม่ หรือแจ้งฝ่ายไอทีให้ตั้งนโยบายเบราว์เซอร์ LocalNetworkAccessAllowedForUrls สำหรับเว็บไซต์นี้",
    "The browser blocked this page from reaching the card agent on this computer (Local Network Access). "
      + "Allow it: click the icon left of the address bar > Site settings > \"Apps and services on this device\" > Allow, "
      + "then reload the page; or ask IT to set the browser policy LocalNetworkAccessAllowedForUrls "
      + "(LoopbackNetworkAllowedForUrls) for this site.",
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
  // The agent's own code, for an answer that lacks its messages.
  REINSERT_CARD: [
    "บัตรนี้ใช้เข้าสู่ระบบไปแล้ว กรุณาถอดบัตรออกแล้วเสียบใหม่อีกครั้ง",
    "This card was already used to log in: take it out and insert it again.",
  ],
};

/**
 * A failed call. `code` is one of the agent's codes (NO_READER, NO_CARD, CARD_REMOVED,
 * CARD_UNREADABLE, CARD_EXPIRED, NOT_ENROLLED, SERVER_UNREACHABLE, SERVER_REJECTED, BUSY,
 * BAD_REQUEST, ORIGIN_NOT_ALLOWED, NOT_LOCAL_SESSION, SESSION_LOCKED, REINSERT_CARD) or one of
 * this client's: LOCAL_NETWORK_BLOCKED (the browser's Local Network Access refused this page
 * the loopback address), AGENT_NOT_RUNNING (the agent cannot be reached: not installed, not running, or
 * its certificate not trusted), AGENT_TIMEOUT, AGENT_ERROR (an answer that is not the
 * agent's error JSON).
 *
 * What a page can and cannot tell apart: every failed call is the same `TypeError: Failed to
 * fetch`. Chromium (156) answers `navigator.permissions.query({name: "loopback-network"})`
 * with "denied" once it blocked the page (the person said no, or, headless, nobody could say
 * yes) and "granted" under the policy LocalNetworkAccessAllowedForUrls or
 * LoopbackNetworkAllowedForUrls: "denied" is LOCAL_NETWORK_BLOCKED. A refused connection, a
 * certificate the browser does not trust and an agent that refuses the page's origin (no CORS
 * headers) look the same to the page: AGENT_NOT_RUNNING. A prompt the person closed without
 * answering leaves "prompt" behind, which a page on an intranet address (not checked at all)
 * also shows: AGENT_NOT_RUNNING too.
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
 * The browser's Local Network Access permission for this page to reach the loopback
 * address: "granted" (the person allowed it, or IT's policy), "denied" (blocked), "prompt"
 * (not decided yet; the next call asks the person) or "unknown" (a browser without it).
 * Never prompts.
 * @returns {Promise<"granted" | "denied" | "prompt" | "unknown">}
 */
export async function localNetworkAccess() {
  const permissions = globalThis.navigator && globalThis.navigator.permissions;
  if (!permissions || typeof permissions.query !== "function") return "unknown";
  // Chromium 145+ splits the permission; the older name stays as an alias.
  for (const name of ["loopback-network", "local-network-access"]) {
    try {
      return (await permissions.query({ name })).state;
    } catch {
      // A browser that does not know this name.
    }
  }
  return "unknown";
}

/** The error for a call that got no answer at all. */
async function unreachable() {
  return clientError((await localNetworkAccess()) === "denied" ? "LOCAL_NETWORK_BLOCKED" : "AGENT_NOT_RUNNING");
}

/**
 * The events of a `text/event-stream` body, as they arrive: `{type, data}` with `data`
 * parsed as JSON (`{}` when it is not). Calls `onBytes` for every chunk, keep-alives too;
 * ends when the body does or `signal` aborts.
 * @param {ReadableStream<Uint8Array>} body
 * @param {() => void} onBytes
 * @param {AbortSignal} signal
 * @returns {AsyncGenerator<AgentEvent>}
 */
async function* serverSentEvents(body, onBytes, signal) {
  const reader = body.getReader();
  signal.addEventListener("abort", () => reader.cancel().catch(() => {}), { once: true });
  const decoder = new TextDecoder();
  let buffer = "";
  let type = "";
  let data = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      onBytes();
      buffer += decoder.decode(value, { stream: true });
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop();
      for (const line of lines) {
        if (line === "") {
          if (data.length > 0) {
            let parsed;
            try {
              parsed = JSON.parse(data.join("\n"));
            } catch {
              parsed = {};
            }
            yield { type: type || "message", data: parsed };
          }
          type = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") type = value;
        else if (field === "data") data.push(value);
      }
    }
  } finally {
    reader.releaseLock();
  }
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
 * @typedef {{type: string, data: any}} AgentEvent
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
   * Follows reader, card and login events of `GET /v1/events` until stopped, reconnecting
   * when the agent goes away (it may start after the page). Read with fetch, not
   * EventSource, so that the call carries `targetAddressSpace: "loopback"` like the others.
   * @param {(event: AgentEvent) => void} onEvent e.g. `{type: "card-inserted", data: {reader: "..."}}`
   * @param {{onOpen?: () => void, onError?: (error: AgentError) => void, retryMs?: number[], idleMs?: number}} [options]
   *   `onOpen` when the stream is up (events from then on reach `onEvent`); `onError` when
   *   it could not be opened or broke, before the next try (after `retryMs[n]`, the last
   *   one repeating); a stream silent for `idleMs` (the agent sends a keep-alive every
   *   15 s) counts as broken.
   * @returns {() => void} stops following
   */
  events(onEvent, { onOpen = () => {}, onError = () => {}, retryMs = [1000, 2000, 5000, 10000], idleMs = 45000 } = {}) {
    let stopped = false;
    let controller = new AbortController();
    let wake = () => {};
    const follow = async () => {
      for (let failures = 0; !stopped;) {
        controller = new AbortController();
        const abort = controller.abort.bind(controller);
        let idle = setTimeout(abort, idleMs);
        const alive = () => {
          clearTimeout(idle);
          idle = setTimeout(abort, idleMs);
        };
        let error;
        try {
          const response = await fetch(`${this.url}/v1/events`, {
            signal: controller.signal,
            targetAddressSpace: "loopback",
            headers: { Accept: "text/event-stream" },
          });
          if (!response.ok || !response.body) {
            error = await answerError(response);
          } else {
            failures = 0;
            onOpen();
            for await (const event of serverSentEvents(response.body, alive, controller.signal)) {
              if (!stopped) onEvent(event);
            }
            if (stopped) return;
            error = clientError(controller.signal.aborted ? "AGENT_TIMEOUT" : "AGENT_NOT_RUNNING");
          }
        } catch {
          if (stopped) return;
          error = controller.signal.aborted ? clientError("AGENT_TIMEOUT") : await unreachable();
        } finally {
          clearTimeout(idle);
        }
        if (stopped) return;
        onError(error);
        const pause = retryMs[Math.min(failures, retryMs.length - 1)];
        failures += 1;
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, pause);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    };
    follow();
    return () => {
      stopped = true;
      controller.abort();
      wake();
    };
  }

  /**
   * Calls `onInserted` each time a card goes into a reader while the page is open: the
   * moment to log in with no click. Options as for `events`.
   * @param {(data: {reader: string}) => void} onInserted
   * @returns {() => void} stops following
   */
  onCardInserted(onInserted, options = {}) {
    return this.events((event) => {
      if (event.type === "card-inserted") onInserted(event.data);
    }, options);
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
      throw controller.signal.aborted ? clientError("AGENT_TIMEOUT") : await unreachable();
    } finally {
      clearTimeout(timer);
    }
    if (answer === undefined && controller.signal.aborted) throw clientError("AGENT_TIMEOUT");
    if (response.ok && answer !== undefined) return answer;
    throw errorOf(response.status, answer);
  }
}

/** The AgentError of an answer that is not a success. */
function errorOf(status, answer) {
  const error = answer && answer.error;
  if (error && typeof error.code === "string") {
    const [th, en] = MESSAGES[error.code] || [];
    return new AgentError(error.code, error.message_th || th, error.message_en || en, status, error.reason);
  }
  return clientError("AGENT_ERROR", status);
}

/** The AgentError of a failed answer whose body is still to read. */
async function answerError(response) {
  return errorOf(response.status, await response.json().catch(() => undefined));
}
