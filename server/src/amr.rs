//! How a browser session logged in: the `amr` values of OpenID Connect.

/// How a session logged in (the `amr` of OpenID Connect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amr {
    Card,
    PasswordOtp,
    /// A card registered without its laser ID (a first factor only), then the OTP.
    CardOtp,
}

impl Amr {
    pub fn as_str(self) -> &'static str {
        match self {
            Amr::Card => "card",
            Amr::PasswordOtp => "pwd otp",
            Amr::CardOtp => "card otp",
        }
    }

    /// The `amr` claim's values (RFC 8176): `card` is ours (no registered value names an
    /// ID card read by an enrolled workstation); `pwd` and `otp` are registered.
    pub fn values(self) -> &'static [&'static str] {
        match self {
            Amr::Card => &["card"],
            Amr::PasswordOtp => &["pwd", "otp"],
            Amr::CardOtp => &["card", "otp"],
        }
    }

    pub fn parse(text: &str) -> Option<Amr> {
        match text {
            "card" => Some(Amr::Card),
            "pwd otp" => Some(Amr::PasswordOtp),
            "card otp" => Some(Amr::CardOtp),
            _ => None,
        }
    }
}

/// What a session waiting for its OTP has given already: the first factor. The OTP makes
/// it [`FirstFactor::with_otp`]'s login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstFactor {
    Password,
    /// A card whose registration has no laser ID: a first factor only (SPEC §7).
    Card,
}

impl FirstFactor {
    pub fn as_str(self) -> &'static str {
        match self {
            FirstFactor::Password => "pwd",
            FirstFactor::Card => "card",
        }
    }

    /// As stored; a session from before first factors were told apart held a password.
    pub fn parse(text: Option<&str>) -> FirstFactor {
        match text {
            Some("card") => FirstFactor::Card,
            _ => FirstFactor::Password,
        }
    }

    /// The login the first factor and the OTP make together.
    pub fn with_otp(self) -> Amr {
        match self {
            FirstFactor::Password => Amr::PasswordOtp,
            FirstFactor::Card => Amr::CardOtp,
        }
    }
}
