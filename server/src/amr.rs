//! How a browser session logged in: the `amr` values of OpenID Connect.

/// How a session logged in (the `amr` of OpenID Connect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amr {
    Card,
    PasswordOtp,
}

impl Amr {
    pub fn as_str(self) -> &'static str {
        match self {
            Amr::Card => "card",
            Amr::PasswordOtp => "pwd otp",
        }
    }

    /// The `amr` claim's values (RFC 8176): `card` is ours (no registered value names an
    /// ID card read by an enrolled workstation); `pwd` and `otp` are registered.
    pub fn values(self) -> &'static [&'static str] {
        match self {
            Amr::Card => &["card"],
            Amr::PasswordOtp => &["pwd", "otp"],
        }
    }

    pub fn parse(text: &str) -> Option<Amr> {
        match text {
            "card" => Some(Amr::Card),
            "pwd otp" => Some(Amr::PasswordOtp),
            _ => None,
        }
    }
}
