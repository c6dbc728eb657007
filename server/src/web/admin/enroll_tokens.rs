//! `/admin/agents/tokens` (admins): the live enrollment tokens, known by their reference
//! and never by their value, and making one ([`tokens::create`], as `thaiid-server token
//! create --uses N --ttl 7d`), its value shown once.

use super::answers::{bad_request, ShownOnce};
use super::{page, Console};
use crate::http::AppState;
use crate::tokens::{self, TokenError};
use crate::web::html::{csrf_field, escape, notice, thai_time};
use crate::web::{stale_form, WebResult};
use axum::extract::State;
use axum::Form;

pub const PATH: &str = "/admin/agents/tokens";

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    uses: String,
    /// `7d`, `12h`, `30m`, `45s`.
    ttl: String,
    csrf: String,
}

/// The live tokens and the form that makes one.
async fn tokens_page(state: &AppState, console: &Console, message: &str) -> WebResult {
    let rows: String = tokens::live(&state.pool, crate::now())
        .await?
        .iter()
        .map(|token| {
            format!(
                "<tr><td class=\"code\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&token.reference),
                token.uses_left,
                thai_time(token.expires_at),
                thai_time(token.created_at),
            )
        })
        .collect();
    let body = format!(
        r#"{message}
<p><a href="/admin/agents">เครื่องลูกข่ายที่ลงทะเบียนแล้ว <span lang="en">(enrolled agents)</span></a></p>
<p class="hint">ใช้ตอนติดตั้งโปรแกรมที่เครื่องลูกข่าย ค่าของโทเค็นแสดงเพียงครั้งเดียวตอนสร้าง <span lang="en">(given to the installer; a token's value is shown once, when made)</span></p>
<table id="enroll-tokens"><thead><tr><th>อ้างอิง <span lang="en">(reference)</span></th><th>ใช้ได้อีก (ครั้ง)</th><th>หมดอายุ (เวลาประเทศไทย)</th><th>สร้างเมื่อ</th></tr></thead>
<tbody>
{rows}</tbody></table>
<form method="post" action="{PATH}" id="token-create">
{csrf}
<label>จำนวนเครื่องที่ลงทะเบียนได้ <span lang="en">(uses)</span> <input name="uses" id="token-uses" value="1" inputmode="numeric" required></label>
<label>อายุ เช่น 7d, 12h, 30m <span lang="en">(lifetime)</span> <input name="ttl" id="token-ttl" value="7d" required></label>
<button type="submit">สร้างโทเค็น</button>
</form>"#,
        csrf = csrf_field(&console.session),
    );
    Ok(page(console, "โทเค็นลงทะเบียนเครื่อง", &body))
}

/// `GET /admin/agents/tokens`.
pub async fn list(State(state): State<AppState>, console: Console) -> WebResult {
    if !console.is_admin() {
        return Ok(console.refuse());
    }
    tokens_page(&state, &console, "").await
}

/// `POST /admin/agents/tokens`: a new token, as this admin, shown once.
pub async fn create(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<TokenForm>,
) -> WebResult {
    if !console.csrf_ok(&form.csrf) {
        return Ok(stale_form());
    }
    if !console.is_admin() {
        return Ok(console.refuse());
    }
    let asked = match (
        form.uses.trim().parse::<i64>(),
        tokens::parse_ttl(form.ttl.trim()),
    ) {
        (Ok(uses), Ok(ttl)) => Ok((uses, ttl)),
        (Err(_), _) => Err(TokenRefusal::Uses(form.uses.clone())),
        (_, Err(error)) => Err(TokenRefusal::Ttl(error.to_string())),
    };
    let made = match asked {
        Ok((uses, ttl)) => {
            match tokens::create(&state.pool, uses, ttl, &console.username, crate::now()).await {
                Ok(token) => Ok((token, uses)),
                Err(TokenError::Db(error)) => return Err(error.into()),
                Err(error) => Err(TokenRefusal::Token(error)),
            }
        }
        Err(refusal) => Err(refusal),
    };
    match made {
        Ok((token, uses)) => Ok(ShownOnce {
            title: "โทเค็นลงทะเบียนเครื่อง",
            done: (
                &format!("สร้างโทเค็นแล้ว ใช้ลงทะเบียนได้ {uses} เครื่อง"),
                &format!("A token for {uses} enrollments is made."),
            ),
            values: &[("โทเค็น (token)", "enroll-token", &token)],
            back: (PATH, "กลับไปหน้าโทเค็น (enrollment tokens)"),
        }
        .reply(&console)),
        Err(refusal) => {
            let page = tokens_page(&state, &console, &refusal.notice()).await?;
            Ok(bad_request(page))
        }
    }
}

/// Why a token was not made.
enum TokenRefusal {
    Uses(String),
    Ttl(String),
    Token(TokenError),
}

impl TokenRefusal {
    fn notice(&self) -> String {
        match self {
            TokenRefusal::Uses(text) => notice(
                "error",
                "จำนวนเครื่องต้องเป็นตัวเลขตั้งแต่ 1 ขึ้นไป",
                &format!("{text:?} is not a number of uses."),
            ),
            TokenRefusal::Ttl(why) => {
                notice("error", "อายุของโทเค็นต้องเขียนแบบ 7d, 12h, 30m หรือ 45s", why)
            }
            TokenRefusal::Token(TokenError::NoUses) => notice(
                "error",
                "จำนวนเครื่องต้องเป็นตัวเลขตั้งแต่ 1 ขึ้นไป",
                &TokenError::NoUses.to_string(),
            ),
            TokenRefusal::Token(error) => {
                notice("error", "โทเค็นมีอายุได้ไม่เกิน 365 วัน", &error.to_string())
            }
        }
    }
}
