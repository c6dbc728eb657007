//! DPAPI: a developer's agent key sealed for the Windows user; the machine service's
//! fallback key (where CNG cannot make one) sealed for the machine.

use windows_sys::Win32::Foundation::LocalFree;
use windows_sys::Win32::Security::Cryptography::{
    CryptProtectData, CryptUnprotectData, CRYPTPROTECT_LOCAL_MACHINE, CRYPTPROTECT_UI_FORBIDDEN,
    CRYPT_INTEGER_BLOB,
};

#[derive(Clone, Copy)]
pub enum Scope {
    /// Only this user, on this machine, can unseal.
    User,
    /// Any process of this machine can unseal: the file's ACL is the protection.
    Machine,
}

/// Runs one DPAPI call on `input` and copies out what it allocated.
fn dpapi(
    input: &[u8],
    call: impl FnOnce(*const CRYPT_INTEGER_BLOB, *mut CRYPT_INTEGER_BLOB) -> i32,
) -> std::io::Result<Vec<u8>> {
    let blob = CRYPT_INTEGER_BLOB {
        cbData: u32::try_from(input.len()).map_err(std::io::Error::other)?,
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

pub fn seal(key: &[u8], scope: Scope) -> std::io::Result<Vec<u8>> {
    let flags = match scope {
        Scope::User => CRYPTPROTECT_UI_FORBIDDEN,
        Scope::Machine => CRYPTPROTECT_UI_FORBIDDEN | CRYPTPROTECT_LOCAL_MACHINE,
    };
    // SAFETY: the blobs are valid for the call; optional arguments are null.
    dpapi(key, |input, output| unsafe {
        CryptProtectData(
            input,
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
            flags,
            output,
        )
    })
}

/// Unseals either scope (the blob says which).
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
