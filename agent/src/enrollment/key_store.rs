//! The agent's private key at rest: a file only its user can read (0600) on Unix,
//! DPAPI-protected for the current user on Windows.

use super::EnrollError;
use std::path::Path;

const KEY_FILE: &str = "agent.key";

pub fn save(data_dir: &Path, pkcs8: &[u8]) -> Result<(), EnrollError> {
    let path = data_dir.join(KEY_FILE);
    let sealed = platform::seal(pkcs8).map_err(|source| EnrollError::Store {
        path: path.clone(),
        source,
    })?;
    crate::fs::write_private(&path, &sealed).map_err(|source| EnrollError::Store { path, source })
}

pub fn load(data_dir: &Path) -> Result<Vec<u8>, EnrollError> {
    let path = data_dir.join(KEY_FILE);
    let sealed = std::fs::read(&path).map_err(|source| EnrollError::Store {
        path: path.clone(),
        source,
    })?;
    platform::unseal(&sealed).map_err(|error| EnrollError::Damaged {
        path,
        problem: error.to_string(),
    })
}

#[cfg(not(windows))]
mod platform {
    /// The file's 0600 mode is the protection.
    pub fn seal(key: &[u8]) -> std::io::Result<Vec<u8>> {
        Ok(key.to_vec())
    }

    pub fn unseal(sealed: &[u8]) -> std::io::Result<Vec<u8>> {
        Ok(sealed.to_vec())
    }
}

#[cfg(windows)]
mod platform {
    use windows_sys::Win32::Foundation::LocalFree;
    use windows_sys::Win32::Security::Cryptography::{
        CryptProtectData, CryptUnprotectData, CRYPTPROTECT_UI_FORBIDDEN, CRYPT_INTEGER_BLOB,
    };

    /// Runs one DPAPI call on `input` and copies out what it allocated.
    fn dpapi(
        input: &[u8],
        call: impl FnOnce(*const CRYPT_INTEGER_BLOB, *mut CRYPT_INTEGER_BLOB) -> i32,
    ) -> std::io::Result<Vec<u8>> {
        let blob = CRYPT_INTEGER_BLOB {
            cbData: input.len() as u32,
            pbData: input.as_ptr() as *mut u8,
        };
        let mut out = CRYPT_INTEGER_BLOB {
            cbData: 0,
            pbData: std::ptr::null_mut(),
        };
        if call(&blob, &mut out) == 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: DPAPI filled `out` with a LocalAlloc'ed buffer of cbData bytes.
        unsafe {
            let bytes = std::slice::from_raw_parts(out.pbData, out.cbData as usize).to_vec();
            LocalFree(out.pbData.cast());
            Ok(bytes)
        }
    }

    /// Sealed for the current Windows user: only they, on this machine, can unseal it.
    pub fn seal(key: &[u8]) -> std::io::Result<Vec<u8>> {
        // SAFETY: the blobs are valid for the call; optional arguments are null.
        dpapi(key, |input, output| unsafe {
            CryptProtectData(
                input,
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                CRYPTPROTECT_UI_FORBIDDEN,
                output,
            )
        })
    }

    pub fn unseal(sealed: &[u8]) -> std::io::Result<Vec<u8>> {
        // SAFETY: as above.
        dpapi(sealed, |input, output| unsafe {
            CryptUnprotectData(
                input,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                CRYPTPROTECT_UI_FORBIDDEN,
                output,
            )
        })
    }
}
