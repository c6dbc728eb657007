// The login page's ID card: while the page is open it follows the agent's events, and a
// card put into the reader logs the person in with no click (a nonce from this server,
// bound to this browser session; the agent's login with it; the completion URL with the
// agent's ticket). The button does the same for a card that was in already. Every state
// is told in Thai, then English, with what to do.
import { ThaiIdAgent, AgentError, describeError } from "/assets/thaiid-agent.js";
import { codeOf, fetchNonce } from "/assets/card-nonce.js";

/** [Thai, English] by the agent's code, the server's reason or this page's state. */
const MESSAGES = {
  INSERT_CARD: [
    "เสียบบัตรประชาชนในเครื่องอ่านบัตร ระบบจะเข้าสู่ระบบให้ทันทีโดยไม่ต้องกดปุ่ม",
    "Insert your ID card into the reader: you are logged in at once, with no click.",
  ],
  CARD_IN: [
    "มีบัตรเสียบอยู่ในเครื่องอ่านบัตรแล้ว กดปุ่มด้านบนเพื่อเข้าสู่ระบบ หรือถอดบัตรออกแล้วเสียบใหม่",
    "A card is in the reader already: press the button above, or take the card out and put it back in.",
  ],
  WAITING: [
    "กรุณาเสียบบัตรประชาชนในเครื่องอ่านบัตร (รอ 30 วินาที)",
    "Insert your ID card into the reader (waiting 30 seconds).",
  ],
  READING: ["กำลังอ่านบัตรประชาชน…", "Reading the ID card…"],
  OK: ["อ่านบัตรสำเร็จ กำลังเข้าสู่ระบบ…", "Card read: logging you in…"],
  REINSERT_CARD: [
    "บัตรนี้ใช้เข้าสู่ระบบไปแล้ว กรุณาถอดบัตรออกจากเครื่องอ่านบัตรแล้วเสียบใหม่ ระบบจะเข้าสู่ระบบให้ทันที",
    "This card was used to log in already: take it out of the reader and put it back in, and you are logged in at once.",
  ],
  AGENT_NOT_RUNNING: [
    "เชื่อมต่อโปรแกรม ThaiID Login Agent บนเครื่องนี้ไม่ได้ (ยังไม่ได้ติดตั้ง ไม่ได้ทำงาน หรือเบราว์เซอร์ไม่เชื่อถือใบรับรองของโปรแกรม) กรุณาติดต่อฝ่ายไอที หรือเข้าสู่ระบบด้วยชื่อผู้ใช้และรหัสผ่าน",
    "Cannot reach the ThaiID Login Agent on this computer (not installed, not running, or its certificate is not trusted by the browser): ask IT, or log in with user name and password.",
  ],
  NO_READER: [
    "ไม่พบเครื่องอ่านบัตร กรุณาเสียบเครื่องอ่านบัตรเข้ากับคอมพิวเตอร์",
    "No card reader: plug one into the computer.",
  ],
  NO_CARD: [
    "ไม่พบบัตรประชาชน กรุณาเสียบบัตรในเครื่องอ่านบัตร ระบบจะเข้าสู่ระบบให้ทันที",
    "No ID card: insert it into the reader and you are logged in at once.",
  ],
  CARD_REMOVED: [
    "บัตรถูกถอดออกระหว่างอ่าน กรุณาเสียบบัตรค้างไว้",
    "The card was taken out while it was read: insert it and leave it in.",
  ],
  CARD_EXPIRED: [
    "บัตรประชาชนหมดอายุแล้ว กรุณาต่ออายุบัตร หรือเข้าสู่ระบบด้วยชื่อผู้ใช้และรหัสผ่าน",
    "This ID card has expired: renew it, or log in with user name and password.",
  ],
  NOT_LINKED: [
    "บัตรประชาชนนี้ยังไม่ได้ผูกกับบัญชีผู้ใช้ กรุณาติดต่อผู้ดูแลระบบ",
    "This ID card is linked to no account: ask IT.",
  ],
  CARD_NOT_REGISTERED: [
    "บัตรใบนี้ยังไม่ได้ลงทะเบียนกับบัญชีของท่าน กรุณาเข้าสู่ระบบด้วยรหัสผ่านและ OTP แล้วลงทะเบียนบัตรที่หน้าข้อมูลส่วนบุคคล หรือติดต่อผู้ดูแลระบบ",
    "This card is not the one registered to your account: log in with password and OTP and register it on your personal data page, or ask IT.",
  ],
  CARD_BLOCKED: [
    "บัตรใบนี้ถูกระงับแล้ว (มีการลงทะเบียนบัตรใบใหม่แทน) กรุณาใช้บัตรใบที่ลงทะเบียนล่าสุด หรือติดต่อผู้ดูแลระบบ",
    "This card is blocked (a newer card was registered in its place): use the card registered last, or ask IT.",
  ],
  NOT_ENROLLED: [
    "เครื่องนี้ยังไม่ได้ลงทะเบียนกับระบบ กรุณาติดต่อฝ่ายไอที",
    "This computer is not enrolled with the login server: ask IT.",
  ],
  REVOKED_AGENT: [
    "เครื่องนี้ถูกยกเลิกการลงทะเบียน กรุณาติดต่อฝ่ายไอที",
    "This computer's enrollment was revoked: ask IT.",
  ],
  STALE: [
    "หน้านี้หมดอายุ กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง",
    "This page expired: reload it and try again.",
  ],
};

const button = document.getElementById("card-login");
const status = document.getElementById("card-status");
const agent = new ThaiIdAgent({ url: button.dataset.agentUrl });
/** A login is under way (or done: the page is leaving): insertions and clicks wait. */
let busy = false;

/**
 * Shows `[th, en]` under `code`. `source` says who said it: the event stream's news
 * ("stream") does not hide what a login answered ("login").
 */
function show(kind, code, [th, en], source = "login") {
  status.className = `notice ${kind}`;
  status.dataset.code = code;
  status.dataset.source = source;
  status.replaceChildren();
  for (const [text, lang] of [[th, "th"], [en, "en"]]) {
    const p = document.createElement("p");
    p.lang = lang;
    p.textContent = text;
    status.append(p);
  }
  if (code === "AGENT_NOT_RUNNING") status.append(agentCheck());
  if (code === "LOCAL_NETWORK_BLOCKED") status.append(policyHint());
}

/** A link that tells an untrusted certificate from an agent that is not there. */
function agentCheck() {
  const p = document.createElement("p");
  const link = document.createElement("a");
  link.href = `${agent.url}/openapi.json`;
  link.target = "_blank";
  link.rel = "noopener";
  link.id = "agent-check";
  link.textContent = "ตรวจสอบโปรแกรม / Check the agent";
  p.append(
    link,
    " — หากเบราว์เซอร์เตือนว่าการเชื่อมต่อไม่ปลอดภัย แสดงว่ายังไม่เชื่อถือใบรับรองของโปรแกรม หากเปิดไม่ได้เลย แสดงว่าโปรแกรมไม่ได้ทำงาน"
      + " / a certificate warning means the browser does not trust the agent's certificate; no connection at all means the agent is not running.",
  );
  return p;
}

/** What IT sets for this page's origin. */
function policyHint() {
  const p = document.createElement("p");
  p.lang = "en";
  const code = document.createElement("code");
  code.textContent = `LocalNetworkAccessAllowedForUrls: ["${location.origin}"]`;
  p.append("IT / ฝ่ายไอที: ", code);
  return p;
}

function showError(error, source = "login") {
  const code = codeOf(error);
  const stale = code === "NO_SESSION" || code === "BAD_CSRF";
  const text = MESSAGES[code] || (stale ? MESSAGES.STALE : [describeError(error, "th"), describeError(error, "en")]);
  show("error", code, text, source);
}

/**
 * One login. `inserted`: a card just went in, so no status call first (every
 * millisecond counts between the insertion and the page).
 */
async function logIn({ inserted = false } = {}) {
  if (busy) return;
  busy = true;
  button.disabled = true;
  try {
    if (inserted) {
      show("info", "READING", MESSAGES.READING);
    } else {
      show("info", "CONNECTING", ["กำลังเชื่อมต่อโปรแกรมอ่านบัตร…", "Connecting to the card agent…"]);
      const { readers } = await agent.status();
      if (readers.length === 0) {
        throw new AgentError("NO_READER", ...MESSAGES.NO_READER);
      }
      const present = readers.some((r) => r.card_present);
      show("info", present ? "READING" : "WAITING", present ? MESSAGES.READING : MESSAGES.WAITING);
    }
    const { ticket } = await agent.login(await fetchNonce("/login/card/nonce"));
    show("ok", "OK", MESSAGES.OK);
    location.assign(`/login/card/complete?ticket=${encodeURIComponent(ticket)}`);
  } catch (error) {
    showError(error);
    busy = false;
    button.disabled = false;
  }
}

/** The event stream is up: what the person should do now, unless a login said more. */
async function ready() {
  if (busy || status.dataset.source === "login") return;
  try {
    const { readers } = await agent.status();
    if (busy || status.dataset.source === "login") return;
    if (readers.length === 0) show("info", "NO_READER", MESSAGES.NO_READER, "stream");
    else if (readers.some((r) => r.card_present)) show("info", "CARD_IN", MESSAGES.CARD_IN, "stream");
    else show("info", "INSERT_CARD", MESSAGES.INSERT_CARD, "stream");
  } catch (error) {
    if (!busy) showError(error, "stream");
  }
}

button.addEventListener("click", () => logIn());
// A login page left in a background tab does not take the insertion another tab (e.g. the
// card registration on /me) is waiting for: only the page in front logs in by itself.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") ready();
});
agent.events((event) => {
  if (event.type === "card-inserted") {
    if (document.visibilityState === "visible") logIn({ inserted: true });
    else ready();
  } else if (event.type === "card-removed" && !busy) {
    // What a login said was about the card that just went: say what to do now.
    status.dataset.source = "stream";
    ready();
  } else if (!busy && status.dataset.source !== "login" && event.type.startsWith("reader-")) {
    ready();
  }
}, {
  onOpen: ready,
  onError: (error) => {
    if (!busy) showError(error, "stream");
  },
});
