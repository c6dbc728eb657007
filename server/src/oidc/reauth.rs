//! What an authorization request asks of the person's login (OIDC Core §3.1.2.1):
//! `prompt` and `max_age`. `prompt=login`, `max_age=0` and a login older than `max_age`
//! want a new login even from a person signed in; `prompt=none` wants no login page at
//! all. `consent` and `select_account` are accepted and need nothing here: there is no
//! consent screen (SPEC §7) and a browser session is one account. Other values are
//! ignored, as values a provider does not know.

use super::OidcError;

/// The login a request accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginWanted {
    /// `prompt=none`: answer without showing the login page.
    pub none: bool,
    /// `prompt=login`: a new login, whatever the session.
    pub login: bool,
    /// `max_age`, seconds: a login at most this old.
    pub max_age: Option<i64>,
}

impl LoginWanted {
    /// From the request's `prompt` and `max_age` (absent or empty: `None`).
    pub fn parse(prompt: Option<&str>, max_age: Option<&str>) -> Result<LoginWanted, OidcError> {
        let values: Vec<&str> = prompt
            .map(|prompt| prompt.split(' ').filter(|v| !v.is_empty()).collect())
            .unwrap_or_default();
        let none = values.contains(&"none");
        if none && values.iter().any(|value| *value != "none") {
            return Err(OidcError::PromptNoneWithOthers);
        }
        Ok(LoginWanted {
            none,
            login: values.contains(&"login"),
            max_age: max_age.map(seconds).transpose()?,
        })
    }

    /// Whether a login made at `auth_time` must be made again at `now`. `max_age=0` is
    /// `prompt=login` (Core §3.1.2.1), even within the login's own second.
    pub fn new_login(&self, auth_time: i64, now: i64) -> bool {
        self.login
            || self
                .max_age
                .is_some_and(|max| max == 0 || now.saturating_sub(auth_time) > max)
    }
}

/// A non-negative whole number of seconds; more than `i64` holds is any age.
fn seconds(text: &str) -> Result<i64, OidcError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OidcError::BadMaxAge);
    }
    Ok(text.parse().unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(prompt: &str, max_age: Option<&str>) -> Result<LoginWanted, OidcError> {
        LoginWanted::parse(Some(prompt).filter(|p| !p.is_empty()), max_age)
    }

    #[test]
    fn prompt_values() {
        let wanted = parse("login", None).unwrap();
        assert!(wanted.login && !wanted.none);
        assert!(wanted.new_login(100, 100));
        let wanted = parse("none", None).unwrap();
        assert!(wanted.none && !wanted.new_login(0, 100));
        for ignored in ["", "consent", "select_account consent", "create"] {
            assert_eq!(
                parse(ignored, None).unwrap(),
                LoginWanted::default(),
                "{ignored}"
            );
        }
        assert!(parse("consent  login", None).unwrap().login);
        for refused in ["login none", "none consent", "select_account none"] {
            assert!(
                matches!(parse(refused, None), Err(OidcError::PromptNoneWithOthers)),
                "{refused}"
            );
        }
    }

    #[test]
    fn max_age() {
        let wanted = parse("", Some("300")).unwrap();
        assert_eq!(wanted.max_age, Some(300));
        assert!(!wanted.new_login(1000, 1300));
        assert!(wanted.new_login(1000, 1301));
        let zero = parse("", Some("0")).unwrap();
        assert!(zero.new_login(1000, 1000), "max_age=0 is prompt=login");
        let huge = parse("", Some("99999999999999999999999")).unwrap();
        assert!(!huge.new_login(0, i64::MAX));
        for malformed in ["-1", "+5", "1.5", " 5", "5s", "abc", "0x10", "٣"] {
            assert!(
                matches!(parse("", Some(malformed)), Err(OidcError::BadMaxAge)),
                "{malformed}"
            );
        }
    }
}
