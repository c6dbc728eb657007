// What the pages that use the ID card share: a nonce from this server for this browser
// session, and the code a person's message is chosen by.
import { AgentError } from "/assets/thaiid-agent.js";

/** The code a person's message is chosen by: the server's reason first. */
export function codeOf(error) {
  if (error instanceof AgentError) return error.reason || error.code;
  return (error && error.code) || "UNKNOWN";
}

/** A nonce from `path` (POST, this page's CSRF token), or an Error with the server's `code`. */
export async function fetchNonce(path) {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch(path, {
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
