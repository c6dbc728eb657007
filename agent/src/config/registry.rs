//! Windows: the machine's values under `HKLM\SOFTWARE\ThaiID Login Agent`, which the
//! .msi writes from its properties and GPO can set.

use super::FileConfig;

/// The values of the machine's registry key; `None` when the key is absent.
pub(crate) fn machine_values() -> Result<Option<FileConfig>, String> {
    Ok(None)
}
