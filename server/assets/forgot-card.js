// Forgot password's card step (/forgot): a nonce from this server for this browser
// session and the account it named, the agent's usual login call with it (the agent reads
// the card, signs its claims and posts them; the server answers a ticket only for that
// account's registered card), then the completion URL with the ticket. A card put in
// while the page is in front does the same with no click.
import { ThaiIdAgent, describeError } from "/assets/thaiid-agent.js";
import { codeOf, fetchNonce } from "/assets/card-nonce.js";

/** Messages for what a person can fix, by the agent's code or the server's reason. */
const MESSAGES = {
  AGENT_NOT_RUNNING:
    "ไม่พบโปรแกรม ThaiID Login Agent บนเครื่องนี้ กรุณาติดต่อฝ่ายไอที หรือใช้รหัสรีเซ็ตจากเจ้าหน้าที่",
  NO_READER: "ไม่พบเครื่องอ่านบัตร กรุณาเสียบเครื่องอ่านบัตรเข้ากับคอมพิวเตอร์แล้วลองใหม่",
  NO_CARD: "ไม่พบบัตรประชาชน กรุณาเสียบบัตรในเครื่องอ่านบัตร",
  CARD_REMOVED: "บัตรถูกถอดออกระหว่างอ่าน กรุณาเสียบบัตรค้างไว้แล้วลองใหม่",
  CARD_EXPIRED: "บัตรประชาชนหมดอายุแล้ว กรุณาต่ออายุบัตร หรือใช้รหัสรีเซ็ตจากเจ้าหน้าที่",
  CARD_NOT_ACCOUNTS: "บัตรนี้ไม่ใช่บัตรของเจ้าของบัญชีนี้ (เลขประจำตัวประชาชนไม่ตรงกัน)",
  CARD_NOT_REGISTERED: "บัตรใบนี้ไม่ใช่บัตรที่ลงทะเบียนไว้กับบัญชีนี้ กรุณาใช้บัตรที่ลงทะเบียน หรือใช้รหัสรีเซ็ตจากเจ้าหน้าที่",
  CARD_BLOCKED: "บัตรใบนี้ถูกระงับแล้ว กรุณาใช้บัตรที่ลงทะเบียนล่าสุด หรือใช้รหัสรีเซ็ตจากเจ้าหน้าที่",
  NOT_ENROLLED: "เครื่องนี้ยังไม่ได้ลงทะเบียนกับระบบ กรุณาติดต่อฝ่ายไอที",
  REVOKED_AGENT: "เครื่องนี้ถูกยกเลิกการลงทะเบียน กรุณาติดต่อฝ่ายไอที",
};

const button = document.getElementById("forgot-card");
const status = document.getElementById("card-status");
const agent = new ThaiIdAgent({ url: button.dataset.agentUrl });
/** A card step is under way (or done: the page is leaving). */
let busy = false;

function show(kind, text, code = "") {
  status.className = `notice ${kind}`;
  status.textContent = text;
  status.dataset.code = code;
}

async function prove() {
  if (busy) return;
  busy = true;
  button.disabled = true;
  show("info", "กำลังเชื่อมต่อโปรแกรมอ่านบัตร…");
  try {
    // The nonce first: a page that waits for no card is told so before the card is read.
    const nonce = await fetchNonce("/forgot/card/nonce");
    show("info", "กำลังอ่านบัตรประชาชน…");
    const { ticket } = await agent.login(nonce);
    show("ok", "อ่านบัตรสำเร็จ", "OK");
    location.assign(`/forgot/card/complete?ticket=${encodeURIComponent(ticket)}`);
  } catch (error) {
    const code = codeOf(error);
    const stale = code === "NO_SESSION" || code === "BAD_CSRF";
    const text = MESSAGES[code]
      || (stale ? "หน้านี้หมดอายุ กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง" : describeError(error, "th"));
    show("error", text, code);
    busy = false;
    button.disabled = false;
  }
}

button.addEventListener("click", () => prove());
// Errors of the event stream are not shown: the button tells them when pressed.
agent.events((event) => {
  if (event.type === "card-inserted" && document.visibilityState === "visible") prove();
});
