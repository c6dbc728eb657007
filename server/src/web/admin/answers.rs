//! The console's answers besides its lists: a secret shown once (a client secret, an
//! enrollment token, an API key), a form refused for its input, a thing not found.

use super::{page, Console};
use crate::web::html::{escape, notice};
use crate::web::Reply;
use axum::http::StatusCode;

/// A secret just made, on a page of its own: the POST's answer, never a page a reload
/// or a link shows again (the server keeps only its hash), and not kept by the browser's
/// cache (every page is `no-store`).
pub struct ShownOnce<'a> {
    pub title: &'a str,
    /// What was done, in Thai and English.
    pub done: (&'a str, &'a str),
    /// What to copy: (label, element id, value).
    pub values: &'a [(&'a str, &'a str, &'a str)],
    /// Where to go next: (path, text).
    pub back: (&'a str, &'a str),
}

impl ShownOnce<'_> {
    pub fn reply(&self, console: &Console) -> Reply {
        let values: String = self
            .values
            .iter()
            .map(|(label, id, value)| {
                format!(
                    r#"<p>{} <code id="{id}">{}</code></p>"#,
                    escape(label),
                    escape(value)
                )
            })
            .collect();
        let body = format!(
            "{done}{values}{once}<p><a href=\"{back}\">{back_text}</a></p>",
            done = notice("ok", self.done.0, self.done.1),
            once = notice(
                "info",
                "ค่านี้แสดงเพียงครั้งเดียว กรุณาคัดลอกไปใช้เดี๋ยวนี้ ระบบเก็บไว้เฉพาะค่าแฮช จึงแสดงซ้ำไม่ได้",
                "Shown this once: copy it now. The server keeps only its hash and cannot show it again.",
            ),
            back = escape(self.back.0),
            back_text = escape(self.back.1),
        );
        page(console, self.title, &body)
    }
}

/// `reply` with `400`: the form's input was refused, and the page says why.
pub fn bad_request(mut reply: Reply) -> Reply {
    if let Reply::Page { status, .. } = &mut reply {
        *status = StatusCode::BAD_REQUEST;
    }
    reply
}

/// `404` inside the console's frame.
pub fn not_found(console: &Console, th: &str, en: &str) -> Reply {
    let mut reply = page(console, "ไม่พบ", &notice("error", th, en));
    if let Reply::Page { status, .. } = &mut reply {
        *status = StatusCode::NOT_FOUND;
    }
    reply
}
