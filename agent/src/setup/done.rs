//! What syncing one trust store did: below the stores' list ([`super::stores`]) and each
//! kind of store ([`super::nss`], the Windows Root stores), which all answer it.

use std::fmt;

/// What a store's sync or removal changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// The current CA is trusted; `removed` older CAs of this agent were taken out.
    Trusted { added: bool, removed: usize },
    /// `setup --uninstall`: this many CAs of this agent were taken out.
    Removed(usize),
}

impl Done {
    /// Whether the store is not as it was.
    pub fn changed(&self) -> bool {
        !matches!(
            self,
            Done::Trusted {
                added: false,
                removed: 0
            } | Done::Removed(0)
        )
    }
}

impl fmt::Display for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cas = |n: usize, which: &str| match n {
            1 => format!("1 {which}CA"),
            n => format!("{n} {which}CAs"),
        };
        match *self {
            Done::Trusted { added, removed } => {
                f.write_str(if added {
                    "CA added"
                } else {
                    "CA already trusted"
                })?;
                match removed {
                    0 => Ok(()),
                    n => write!(f, ", {} of this agent removed", cas(n, "old ")),
                }
            }
            Done::Removed(0) => f.write_str("no CA of this agent in it"),
            Done::Removed(n) => write!(f, "{} of this agent removed", cas(n, "")),
        }
    }
}
