// The login page's ID-card button: a nonce from this server (bound to this browser
// session), the agent's login with it, then the completion URL with the agent's ticket.
// Every failure is shown in Thai, with what to do.
import { ThaiIdAgent, AgentError, describeError } from "/assets/thaiid-agent.js";

/** Messages for what a person can fix, by the agent's code or the server's reason. */
const MESSAGES = {
  AGENT_NOT_RUNNING:
    "ไม่พบโปรแกรม ThaiID Login Agent บนเครื่องนี้ (ยังไม่ได้ติดตั้งหรือไม่ได้เปิดอยู่) กรุณาติดต่อฝ่ายไอที หรือเข้าสู่ระบบด้วยชื่อผู้ใช้และรหัสผ่าน",
  NO_READER: "ไม่พบเครื่องอ่านบัตร กรุณาเสียบเครื่องอ่านบัตรเข้ากับคอมพิวเตอร์แล้วลองใหม่",
  NO_CARD: "ไม่พบบัตรประชาชน กรุณาเสียบบัตรในเครื่องอ่านบัตรแล้วกดปุ่มอีกครั้ง",
  CARD_REMOVED: "บัตรถูกถอดออกระหว่างอ่าน กรุณาเสียบบัตรค้างไว้แล้วลองใหม่",
  CARD_EXPIRED: "บัตรประชาชนหมดอายุแล้ว กรุณาต่ออายุบัตร หรือเข้าสู่ระบบด้วยชื่อผู้ใช้และรหัสผ่าน",
  NOT_LINKED: "บัตรประชาชนนี้ยังไม่ได้ผูกกับบัญชีผู้ใช้ กรุณาติดต่อผู้ดูแลระบบ",
  CARD_NOT_REGISTERED:
    "บัตรใบนี้ยังไม่ได้ลงทะเบียนกับบัญชีของท่าน กรุณาเข้าสู่ระบบด้วยรหัสผ่านและ OTP แล้วลงทะเบียนบัตรที่หน้าข้อมูลส่วนบุคคล หรือติดต่อผู้ดูแลระบบ",
  CARD_BLOCKED: "บัตรใบนี้ถูกระงับแล้ว (มีการลงทะเบียนบัตรใบใหม่แทน) กรุณาใช้บัตรใบที่ลงทะเบียนล่าสุด หรือติดต่อผู้ดูแลระบบ",
  NOT_ENROLLED: "เครื่องนี้ยังไม่ได้ลงทะเบียนกับระบบ กรุณาติดต่อฝ่ายไอที",
  REVOKED_AGENT: "เครื่องนี้ถูกยกเลิกการลงทะเบียน กรุณาติดต่อฝ่ายไอที",
};

const button = document.getElementById("card-login");
const status = document.getElementById("card-status");
const csrf = document.querySelector('meta[name="csrf-token"]').content;

function show(kind, text, code = "") {
  status.className = `notice ${kind}`;
  status.textContent = text;
  status.dataset.code = code;
}

/** The code a person's message is chosen by: the server's reason first. */
function codeOf(error) {
  if (error instanceof AgentError) return error.reason || error.code;
  return (error && error.code) || "UNKNOWN";
}

async function fetchNonce() {
  const response = await fetch("/login/card/nonce", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: "{}",
    credentials: "same-origin",
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || typeof body.nonce !== "string") {
    const code = (body.error && body.error.code) || "NONCE_FAILED";
    throw Object.assign(new Error(code), { code });
  }
  return body.nonce;
}

async function logIn() {
  button.disabled = true;
  show("info", "กำลังเชื่อมต่อโปรแกรมอ่านบัตร…");
  try {
    const agent = new ThaiIdAgent({ url: button.dataset.agentUrl });
    const { readers } = await agent.status();
    if (readers.length === 0) {
      throw new AgentError("NO_READER", MESSAGES.NO_READER, "No card reader.");
    }
    show("info", readers.some((r) => r.card_present)
      ? "กำลังอ่านบัตรประชาชน…"
      : "กรุณาเสียบบัตรประชาชนในเครื่องอ่านบัตร (รอ 30 วินาที)");
    const { ticket } = await agent.login(await fetchNonce());
    show("ok", "อ่านบัตรสำเร็จ กำลังเข้าสู่ระบบ…", "OK");
    location.assign(`/login/card/complete?ticket=${encodeURIComponent(ticket)}`);
  } catch (error) {
    const code = codeOf(error);
    const stale = code === "NO_SESSION" || code === "BAD_CSRF";
    const text = MESSAGES[code]
      || (stale ? "หน้านี้หมดอายุ กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง" : describeError(error, "th"));
    show("error", text, code);
    button.disabled = false;
  }
}

button.addEventListener("click", logIn);
