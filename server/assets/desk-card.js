// The helpdesk's "read and register the card" button (/admin/people/NAME/card): a nonce
// from this server (bound to this console session and naming the person), the agent's
// usual login call with it (the helpdesk workstation's agent reads the card inserted and
// signs its claims; the server registers the card only if it is that person's), then the
// result page with the agent's ticket.
import { ThaiIdAgent, AgentError, describeError } from "/assets/thaiid-agent.js";
import { codeOf, fetchNonce } from "/assets/card-nonce.js";

/** Messages for what the helpdesk can fix, by the agent's code or the server's reason. */
const MESSAGES = {
  AGENT_NOT_RUNNING:
    "ไม่พบโปรแกรม ThaiID Login Agent บนเครื่องนี้ (ยังไม่ได้ติดตั้งหรือไม่ได้เปิดอยู่) กรุณาติดต่อฝ่ายไอที",
  NO_READER: "ไม่พบเครื่องอ่านบัตร กรุณาเสียบเครื่องอ่านบัตรเข้ากับคอมพิวเตอร์แล้วลองใหม่",
  NO_CARD: "ไม่พบบัตรประชาชน กรุณาให้เจ้าของบัตรเสียบบัตรในเครื่องอ่านบัตรแล้วกดปุ่มอีกครั้ง",
  REINSERT_CARD: "บัตรนี้ถูกอ่านไปแล้ว กรุณาถอดบัตรออกแล้วเสียบใหม่ แล้วกดปุ่มอีกครั้ง",
  CARD_REMOVED: "บัตรถูกถอดออกระหว่างอ่าน กรุณาเสียบบัตรค้างไว้แล้วลองใหม่",
  CARD_EXPIRED: "บัตรประชาชนหมดอายุแล้ว ลงทะเบียนไม่ได้ กรุณาให้เจ้าของบัตรต่ออายุบัตร",
  CARD_NOT_ACCOUNTS:
    "บัตรนี้ไม่ใช่บัตรของบุคคลนี้ (เลขประจำตัวประชาชนไม่ตรงกับที่ผูกไว้) จึงไม่ได้ลงทะเบียน",
  NOT_LINKED: "บัญชีนี้ยังไม่ได้ผูกกับเลขประจำตัวประชาชน กรุณาผูกเลขประจำตัวประชาชนก่อน",
  NO_SESSION: "ระบบผู้ดูแลขอให้ยืนยันตัวตนใหม่ กรุณาโหลดหน้าใหม่",
  BAD_CSRF: "หน้านี้หมดอายุ กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง",
  NOT_ENROLLED: "เครื่องนี้ยังไม่ได้ลงทะเบียนกับระบบ กรุณาติดต่อฝ่ายไอที",
  REVOKED_AGENT: "เครื่องนี้ถูกยกเลิกการลงทะเบียน กรุณาติดต่อฝ่ายไอที",
};

const button = document.getElementById("desk-card-register");
const status = document.getElementById("card-status");

function show(kind, text, code = "") {
  status.className = `notice ${kind}`;
  status.textContent = text;
  status.dataset.code = code;
}

async function register() {
  button.disabled = true;
  show("info", "กำลังเชื่อมต่อโปรแกรมอ่านบัตร…", "CONNECTING");
  try {
    // The nonce first: a console session that may not register is told so before the
    // card is read.
    const nonce = await fetchNonce(button.dataset.nonceUrl);
    const agent = new ThaiIdAgent({ url: button.dataset.agentUrl });
    const { readers } = await agent.status();
    if (readers.length === 0) {
      throw new AgentError("NO_READER", MESSAGES.NO_READER, "No card reader.");
    }
    show("info", readers.some((r) => r.card_present)
      ? "กำลังอ่านบัตรประชาชน…"
      : "กรุณาให้เจ้าของบัตรเสียบบัตรประชาชนในเครื่องอ่านบัตร (รอ 30 วินาที)", "WAITING");
    const { ticket } = await agent.login(nonce);
    show("ok", "อ่านบัตรสำเร็จ กำลังลงทะเบียน…", "OK");
    location.assign(`${button.dataset.completeUrl}?ticket=${encodeURIComponent(ticket)}`);
  } catch (error) {
    const code = codeOf(error);
    show("error", MESSAGES[code] || describeError(error, "th"), code);
    button.disabled = false;
  }
}

button.addEventListener("click", register);
