//! The machine's configuration on Windows: the values under
//! `HKEY_LOCAL_MACHINE\SOFTWARE\ThaiID Login Agent`, written by the .msi from its
//! properties or pushed by GPO/Intune. Same keys as the machine's `config.toml`:
//! `ServerUrl`, `AllowedOrigins` (comma-separated), `Port`, `Reader`, all REG_SZ (`Port`
//! may also be a REG_DWORD). Other values under the key are the installer's own and are
//! ignored; so is an `EnrollToken` value: every user can read this key, and the token
//! must be where no user can (SPEC §10), so it is given to `enroll` at install only.

use super::FileConfig;

/// The key under HKLM.
#[cfg(windows)]
const KEY: &str = r"SOFTWARE\ThaiID Login Agent";

/// A value as the registry holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    /// REG_SZ or REG_EXPAND_SZ (not expanded: no key of ours names a path).
    Text(String),
    /// REG_DWORD.
    Number(u32),
    /// Any other type, by its number.
    Other(u32),
}

/// The machine's values, or `None` when the key does not exist.
#[cfg(windows)]
pub(crate) fn machine_values() -> Result<Option<FileConfig>, String> {
    match win::Key::open_machine(KEY)? {
        None => Ok(None),
        Some(key) => from_values(|name| key.value(name)).map(Some),
    }
}

/// The configuration the values give; an empty string is no value (what an installer
/// property left empty writes).
fn from_values(read: impl Fn(&str) -> Result<Option<Value>, String>) -> Result<FileConfig, String> {
    let text = |name: &str| -> Result<Option<String>, String> {
        match read(name)? {
            None => Ok(None),
            Some(Value::Text(text)) => Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty())),
            Some(other) => Err(format!(
                "{name} is {}: write it as a string value (REG_SZ)",
                other.kind()
            )),
        }
    };
    let port = match read("Port")? {
        None => None,
        Some(Value::Number(number)) => Some(
            u16::try_from(number)
                .map_err(|_| format!("Port is {number}: write a port number (1-65535)"))?,
        ),
        Some(Value::Text(text)) if text.trim().is_empty() => None,
        Some(Value::Text(text)) => Some(text.trim().parse::<u16>().map_err(|_| {
            format!("Port is {text:?}: write a port number (1-65535) as REG_SZ or REG_DWORD")
        })?),
        Some(other) => {
            return Err(format!(
                "Port is {}: write it as REG_SZ or REG_DWORD",
                other.kind()
            ))
        }
    };
    let allowed_origins = text("AllowedOrigins")?.map(|list| {
        list.split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
            .map(str::to_owned)
            .collect()
    });
    Ok(FileConfig {
        server_url: text("ServerUrl")?,
        allowed_origins,
        port,
        reader: text("Reader")?,
        enroll_token: None,
        ..FileConfig::default()
    })
}

impl Value {
    fn kind(&self) -> String {
        match self {
            Value::Text(_) => "a string".into(),
            Value::Number(_) => "a REG_DWORD".into(),
            Value::Other(kind) => format!("of registry type {kind}"),
        }
    }
}

#[cfg(windows)]
mod win {
    use super::Value;
    use std::ptr::{null, null_mut};
    use windows_sys::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_MORE_DATA, ERROR_SUCCESS};
    use windows_sys::Win32::System::Registry::{
        RegCloseKey, RegOpenKeyExW, RegQueryValueExW, HKEY, HKEY_LOCAL_MACHINE, KEY_READ,
        KEY_WOW64_64KEY, REG_DWORD, REG_EXPAND_SZ, REG_SZ,
    };

    /// An open registry key, closed on drop.
    pub(super) struct Key {
        handle: HKEY,
        path: String,
    }

    impl Key {
        /// `HKLM\<path>` in the 64-bit view (where the x64 .msi writes), or `None` when
        /// it does not exist.
        pub(super) fn open_machine(path: &str) -> Result<Option<Key>, String> {
            let wide = wide(path);
            let mut handle: HKEY = null_mut();
            // SAFETY: `wide` is NUL-terminated and outlives the call; `handle` is written
            // only on success and then closed by Drop.
            let status = unsafe {
                RegOpenKeyExW(
                    HKEY_LOCAL_MACHINE,
                    wide.as_ptr(),
                    0,
                    KEY_READ | KEY_WOW64_64KEY,
                    &mut handle,
                )
            };
            match status {
                ERROR_SUCCESS => Ok(Some(Key {
                    handle,
                    path: path.to_owned(),
                })),
                ERROR_FILE_NOT_FOUND => Ok(None),
                code => Err(format!("cannot open the key ({})", os_error(code))),
            }
        }

        /// The value `name`, or `None` when it does not exist.
        pub(super) fn value(&self, name: &str) -> Result<Option<Value>, String> {
            let wide_name = wide(name);
            // u16 units so that REG_SZ data is aligned; grown when the value is larger.
            let mut buffer: Vec<u16> = vec![0; 256];
            loop {
                let mut kind = 0u32;
                let mut bytes = u32::try_from(buffer.len() * 2).unwrap_or(u32::MAX);
                // SAFETY: the name is NUL-terminated; `bytes` is the buffer's size in
                // bytes and the call writes at most that many.
                let status = unsafe {
                    RegQueryValueExW(
                        self.handle,
                        wide_name.as_ptr(),
                        null(),
                        &mut kind,
                        buffer.as_mut_ptr().cast::<u8>(),
                        &mut bytes,
                    )
                };
                match status {
                    ERROR_SUCCESS => {
                        let data = &buffer[..(bytes as usize).div_ceil(2).min(buffer.len())];
                        return Ok(Some(decode(kind, data, bytes as usize)));
                    }
                    ERROR_MORE_DATA => buffer.resize((bytes as usize).div_ceil(2) + 1, 0),
                    ERROR_FILE_NOT_FOUND => return Ok(None),
                    code => {
                        return Err(format!(
                            "cannot read {name} under {} ({})",
                            self.path,
                            os_error(code)
                        ))
                    }
                }
            }
        }
    }

    impl Drop for Key {
        fn drop(&mut self) {
            // SAFETY: the handle came from RegOpenKeyExW and is closed once.
            unsafe { RegCloseKey(self.handle) };
        }
    }

    fn decode(kind: u32, data: &[u16], bytes: usize) -> Value {
        match kind {
            REG_SZ | REG_EXPAND_SZ => {
                // The stored string may or may not end in NUL.
                let end = data
                    .iter()
                    .position(|&unit| unit == 0)
                    .unwrap_or(data.len());
                Value::Text(String::from_utf16_lossy(&data[..end]))
            }
            REG_DWORD if bytes == 4 => {
                Value::Number(u32::from(data[0]) | (u32::from(data[1]) << 16))
            }
            other => Value::Other(other),
        }
    }

    fn wide(text: &str) -> Vec<u16> {
        text.encode_utf16().chain(Some(0)).collect()
    }

    fn os_error(code: u32) -> std::io::Error {
        std::io::Error::from_raw_os_error(code as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(values: &[(&str, Value)]) -> Result<FileConfig, String> {
        let values: HashMap<String, Value> = values
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect();
        from_values(|name| Ok(values.get(name).cloned()))
    }

    fn text(value: &str) -> Value {
        Value::Text(value.into())
    }

    #[test]
    fn values_the_msi_writes_become_the_machine_config() {
        let config = config(&[
            ("ServerUrl", text("https://sso.example")),
            (
                "AllowedOrigins",
                text("https://sso.example, https://sso2.example,"),
            ),
            ("EnrollToken", text(" tok-123 ")),
            ("Port", text("47200")),
            ("Reader", text("ACS ACR39U 00 00")),
            ("InstallerOwnValue", text("ignored")),
        ])
        .unwrap();
        assert_eq!(config.server_url.as_deref(), Some("https://sso.example"));
        assert_eq!(
            config.allowed_origins,
            Some(vec![
                "https://sso.example".to_owned(),
                "https://sso2.example".to_owned()
            ])
        );
        // Readable by every user: never taken as the enrollment token.
        assert_eq!(config.enroll_token, None);
        assert_eq!(config.port, Some(47200));
        assert_eq!(config.reader.as_deref(), Some("ACS ACR39U 00 00"));
    }

    #[test]
    fn empty_and_missing_values_are_no_value() {
        let config = config(&[("ServerUrl", text("  ")), ("Port", text(""))]).unwrap();
        assert_eq!(config.server_url, None);
        assert_eq!(config.port, None);
        assert_eq!(config.allowed_origins, None);
        assert_eq!(config.enroll_token, None);
    }

    #[test]
    fn port_may_be_a_dword_pushed_by_gpo() {
        assert_eq!(
            config(&[("Port", Value::Number(47114))]).unwrap().port,
            Some(47114)
        );
        let error = config(&[("Port", Value::Number(70000))]).unwrap_err();
        assert!(error.contains("70000"), "{error}");
    }

    #[test]
    fn wrong_types_and_bad_ports_say_what_to_write() {
        let error = config(&[("ServerUrl", Value::Number(1))]).unwrap_err();
        assert!(error.starts_with("ServerUrl is a REG_DWORD"), "{error}");
        assert!(error.contains("REG_SZ"), "{error}");
        let error = config(&[("Port", text("http"))]).unwrap_err();
        assert!(error.contains("\"http\""), "{error}");
        let error = config(&[("Reader", Value::Other(7))]).unwrap_err();
        assert!(error.contains("registry type 7"), "{error}");
    }

    #[test]
    fn a_read_error_is_passed_on() {
        let error = from_values(|_| Err("cannot read ServerUrl".into())).unwrap_err();
        assert_eq!(error, "cannot read ServerUrl");
    }
}
