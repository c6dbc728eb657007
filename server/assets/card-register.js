// The /me page's "register this card" button: a registration nonce from this server
// (bound to this password + OTP session), the agent's usual login call with it (the agent
// reads the card, signs its claims and posts them to the server, which registers the card
// if it is this account's), then the result page with the agent's ticket.
import { ThaiIdAgent, AgentError, describeError } from "/assets/thaiid-agent.js";
import { codeOf, fetchNonce } from "/assets/card-nonce.js";

/** Messages for what a person can fix, by the agent's code or the server's reason. */
const MESSAGES = {
  AGENT_NOT_RUNNING:
    "ไม่พบโปรแกรม ThaiID Login Agent บนเครื่องนี้ (ยังไม่ได้ติดตั้งหรือไม่ได้เปิดอยู่) กรุณาติดต่อฝ่ายไอที",
  NO_READER: "ไม่พบเครื่องอ่านบัตร กรุณาเสียบเครื่องอ่านบัตรเข้ากับคอมพิวเตอร์แล้วลองใหม่",
  NO_CARD: "ไม่พบบัตรประชาชน กรุณาเสียบบัตรในเครื่องอ่านบัตรแล้วกดปุ่มอีกครั้ง",
  CARD_REMOVED: "บัตรถูกถอดออกระหว่างอ่าน กรุณาเสียบบัตรค้างไว้แล้วลองใหม่",
  CARD_EXPIRED: "บัตรประชาชนหมดอายุแล้ว ลงทะเบียนไม่ได้ กรุณาต่ออายุบัตร",
  CARD_NOT_ACCOUNTS: "บัตรนี้ไม่ใช่บัตรของเจ้าของบัญชีนี้ (เลขประจำตัวประชาชนไม่ตรงกัน) ลงทะเบียนได้เฉพาะบัตรของท่านเอง",
  CARD_BLOCKED: "บัตรใบนี้ถูกระงับแล้ว (เคยลงทะเบียนและถูกแทนที่หรือระงับ) กรุณาติดต่อผู้ดูแลระบบ",
  NEEDS_PASSWORD_OTP: "ลงทะเบียนบัตรได้หลังเข้าสู่ระบบด้วยชื่อผู้ใช้ รหัสผ่าน และ OTP เท่านั้น กรุณาออกจากระบบแล้วเข้าสู่ระบบใหม่",
  NOT_LINKED: "บัญชีนี้ยังไม่ได้ผูกกับเลขประจำตัวประชาชน กรุณาติดต่อผู้ดูแลระบบ",
  NOT_ENROLLED: "เครื่องนี้ยังไม่ได้ลงทะเบียนกับระบบ กรุณาติดต่อฝ่ายไอที",
  REVOKED_AGENT: "เครื่องนี้ถูกยกเลิกการลงทะเบียน กรุณาติดต่อฝ่ายไอที",
};

const button = document.getElementById("card-register");
const status = document.getElementById("card-status");

function show(kind, text, code = "") {
  status.className = `notice ${kind}`;
  status.textContent = text;
  status.dataset.code = code;
}

async function register() {
  button.disabled = true;
  show("info", "กำลังเชื่อมต่อโปรแกรมอ่านบัตร…");
  try {
    // The nonce first: a session that may not register is told so before the card is read.
    const nonce = await fetchNonce("/me/card/nonce");
    const agent = new ThaiIdAgent({ url: button.dataset.agentUrl });
    const { readers } = await agent.status();
    if (readers.length === 0) {
      throw new AgentError("NO_READER", MESSAGES.NO_READER, "No card reader.");
    }
    show("info", readers.some((r) => r.card_present)
      ? "กำลังอ่านบัตรประชาชน…"
      : "กรุณาเสียบบัตรประชาชนในเครื่องอ่านบัตร (รอ 30 วินาที)");
    const { ticket } = await agent.login(nonce);
    show("ok", "อ่านบัตรสำเร็จ กำลังลงทะเบียน…", "OK");
    location.assign(`/me/card/complete?ticket=${encodeURIComponent(ticket)}`);
  } catch (error) {
    const code = codeOf(error);
    const stale = code === "NO_SESSION" || code === "BAD_CSRF";
    const text = MESSAGES[code]
      || (stale ? "หน้านี้หมดอายุ กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง" : describeError(error, "th"));
    show("error", text, code);
    button.disabled = false;
  }
}

button.addEventListener("click", register);
