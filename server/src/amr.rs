//! How a browser session logged in (the `amr` values of OpenID Connect), and the
//! assurance level that gives (SPEC §7, the `acr` values).

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

    /// The level this login reaches: the card alone is one factor (the laser ID narrows
    /// who can use it, it is still something held), the OTP with anything is two.
    pub fn level(self) -> Level {
        match self {
            Amr::Card => Level::OneFactor,
            Amr::PasswordOtp | Amr::CardOtp => Level::TwoFactor,
        }
    }
}

/// What a sign-in to a system needs (SPEC §7 "Assurance levels"), in order: a higher
/// level meets every lower one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// The card, or password + OTP.
    #[default]
    OneFactor,
    /// The card and the OTP, or password + OTP.
    TwoFactor,
}

/// A level name that is none of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is no assurance level: one-factor or two-factor")]
pub struct UnknownLevel(pub String);

impl Level {
    pub const ALL: [Level; 2] = [Level::OneFactor, Level::TwoFactor];

    /// As IT types it and the database keeps it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::OneFactor => "one-factor",
            Level::TwoFactor => "two-factor",
        }
    }

    pub fn parse(text: &str) -> Result<Level, UnknownLevel> {
        Level::ALL
            .into_iter()
            .find(|level| level.as_str() == text)
            .ok_or_else(|| UnknownLevel(text.to_owned()))
    }

    /// The `acr` value (OIDC Core §2) that names it.
    pub fn acr(self) -> &'static str {
        match self {
            Level::OneFactor => "urn:thaiid:acr:one-factor",
            Level::TwoFactor => "urn:thaiid:acr:two-factor",
        }
    }

    /// The level an `acr_values` request parameter (space-separated, in order of
    /// preference) asks for, honoured as essential: the lowest level it names, since any
    /// it names is accepted and a higher one meets a lower. Values not ours are passed
    /// over; `None` when no value is ours (the request cannot be met).
    pub fn of_acr_values(values: &str) -> Option<Level> {
        values
            .split(' ')
            .filter_map(|value| Level::ALL.into_iter().find(|level| level.acr() == value))
            .min()
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_login_reaches_its_level() {
        assert_eq!(Amr::Card.level(), Level::OneFactor);
        assert_eq!(Amr::PasswordOtp.level(), Level::TwoFactor);
        assert_eq!(Amr::CardOtp.level(), Level::TwoFactor);
        assert_eq!(FirstFactor::Card.with_otp().level(), Level::TwoFactor);
        assert!(Level::TwoFactor > Level::OneFactor);
    }

    #[test]
    fn level_names_are_exact_and_round_trip() {
        for level in Level::ALL {
            assert_eq!(Level::parse(level.as_str()), Ok(level));
            assert_eq!(Level::of_acr_values(level.acr()), Some(level));
        }
        for bad in ["", "two", "Two-Factor", "2fa", "urn:thaiid:acr:two-factor"] {
            let error = Level::parse(bad).unwrap_err().to_string();
            assert!(error.contains("one-factor or two-factor"), "{error}");
        }
    }

    #[test]
    fn acr_values_ask_for_the_lowest_level_they_name() {
        let one = "urn:thaiid:acr:one-factor";
        let two = "urn:thaiid:acr:two-factor";
        assert_eq!(
            Level::of_acr_values(&format!("{two} {one}")),
            Some(Level::OneFactor)
        );
        assert_eq!(
            Level::of_acr_values(&format!("urn:other:gold  {two}")),
            Some(Level::TwoFactor)
        );
        for unknown in [
            "",
            "0",
            "urn:other:gold",
            "URN:THAIID:ACR:TWO-FACTOR",
            "two-factor",
        ] {
            assert_eq!(Level::of_acr_values(unknown), None, "{unknown}");
        }
    }
}
