//! The workstation key as a non-exportable CNG machine key (SPEC §6, §10): in the TPM
//! through the Microsoft Platform Crypto Provider where the machine has one, else in the
//! Microsoft Software Key Storage Provider. Its ACL lets SYSTEM, Administrators and the
//! service's virtual account use it; its export policy lets nobody export the private half.

use super::wide::wide;
use super::{service_sid, SERVICE_NAME};
use windows_sys::Win32::Foundation::LocalFree;
use windows_sys::Win32::Security::Authorization::{
    ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::Cryptography::{
    NCryptCreatePersistedKey, NCryptDeleteKey, NCryptExportKey, NCryptFinalizeKey,
    NCryptFreeObject, NCryptGetProperty, NCryptOpenKey, NCryptOpenStorageProvider,
    NCryptSetProperty, NCryptSignHash, BCRYPT_ECCPUBLIC_BLOB, BCRYPT_ECDSA_P256_ALGORITHM,
    BCRYPT_ECDSA_PUBLIC_P256_MAGIC, MS_KEY_STORAGE_PROVIDER, MS_PLATFORM_CRYPTO_PROVIDER,
    NCRYPT_EXPORT_POLICY_PROPERTY, NCRYPT_IMPL_HARDWARE_FLAG, NCRYPT_IMPL_TYPE_PROPERTY,
    NCRYPT_KEY_HANDLE, NCRYPT_MACHINE_KEY_FLAG, NCRYPT_OVERWRITE_KEY_FLAG, NCRYPT_PERSIST_FLAG,
    NCRYPT_PROV_HANDLE, NCRYPT_SECURITY_DESCR_PROPERTY, NCRYPT_SILENT_FLAG,
};
use windows_sys::Win32::Security::{DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR};

/// The key's name in the provider (machine keys).
pub const KEY_NAME: &str = "ThaiID Login Agent workstation key";

/// Which provider holds the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// The TPM (Microsoft Platform Crypto Provider).
    Platform,
    /// The software KSP: the key is on disk, sealed for the machine.
    Software,
}

impl Provider {
    pub fn tag(self) -> &'static str {
        match self {
            Provider::Platform => "platform",
            Provider::Software => "software",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Provider> {
        match tag {
            "platform" => Some(Provider::Platform),
            "software" => Some(Provider::Software),
            _ => None,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Provider::Platform => "TPM (Microsoft Platform Crypto Provider), not exportable",
            Provider::Software => {
                "software key (Microsoft Software Key Storage Provider), not exportable, no TPM"
            }
        }
    }

    fn name(self) -> *const u16 {
        match self {
            Provider::Platform => MS_PLATFORM_CRYPTO_PROVIDER,
            Provider::Software => MS_KEY_STORAGE_PROVIDER,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CngError {
    #[error("{call} failed: {code:#010x}")]
    Call { call: &'static str, code: u32 },
    #[error("the key's public blob is not a P-256 point")]
    BadBlob,
}

fn check(call: &'static str, status: i32) -> Result<(), CngError> {
    match status {
        0 => Ok(()),
        code => Err(CngError::Call {
            call,
            code: code as u32,
        }),
    }
}

/// An open NCrypt handle, freed on drop.
struct Handle(usize);

impl Drop for Handle {
    fn drop(&mut self) {
        if self.0 != 0 {
            // SAFETY: a handle NCrypt gave out, freed once.
            unsafe { NCryptFreeObject(self.0) };
        }
    }
}

/// The workstation's machine key in CNG.
pub struct CngKey {
    key: Handle,
    // Kept open for as long as the key is (the provider owns the key's handle).
    _provider: Handle,
    pub provider: Provider,
}

impl CngKey {
    /// A new key, replacing any of the same name: the TPM's if it takes one, else the
    /// software KSP's. Each provider's failure is in the error of the last.
    pub fn create() -> Result<CngKey, CngError> {
        match CngKey::create_in(Provider::Platform) {
            Ok(key) => Ok(key),
            Err(platform) => {
                tracing::info!("no TPM key ({platform}): using the software key storage provider");
                CngKey::create_in(Provider::Software)
            }
        }
    }

    fn create_in(provider: Provider) -> Result<CngKey, CngError> {
        let provider_handle = open_provider(provider)?;
        let name = wide(KEY_NAME);
        let mut key: NCRYPT_KEY_HANDLE = 0;
        // SAFETY: a valid provider handle, NUL-terminated names, a valid out pointer.
        check("NCryptCreatePersistedKey", unsafe {
            NCryptCreatePersistedKey(
                provider_handle.0,
                &mut key,
                BCRYPT_ECDSA_P256_ALGORITHM,
                name.as_ptr(),
                0,
                NCRYPT_MACHINE_KEY_FLAG | NCRYPT_OVERWRITE_KEY_FLAG,
            )
        })?;
        let key = Handle(key);
        let no_export: u32 = 0;
        // SAFETY: a 4-byte DWORD property of a key not yet finalized.
        check("NCryptSetProperty(Export Policy)", unsafe {
            NCryptSetProperty(
                key.0,
                NCRYPT_EXPORT_POLICY_PROPERTY,
                (&no_export as *const u32).cast(),
                4,
                NCRYPT_PERSIST_FLAG | NCRYPT_SILENT_FLAG,
            )
        })?;
        set_acl(&key)?;
        // SAFETY: a key handle made above.
        check("NCryptFinalizeKey", unsafe {
            NCryptFinalizeKey(key.0, NCRYPT_SILENT_FLAG)
        })?;
        let made = CngKey {
            key,
            _provider: provider_handle,
            provider,
        };
        if provider == Provider::Platform && !made.in_hardware() {
            // Some stacks (Wine) answer to the platform provider's name without a TPM.
            return Err(CngError::Call {
                call: "NCryptGetProperty(Impl Type): not hardware",
                code: 0,
            });
        }
        Ok(made)
    }

    /// The key made at enrollment, in `provider`.
    pub fn open(provider: Provider) -> Result<CngKey, CngError> {
        let provider_handle = open_provider(provider)?;
        let name = wide(KEY_NAME);
        let mut key: NCRYPT_KEY_HANDLE = 0;
        // SAFETY: a valid provider handle, a NUL-terminated name, a valid out pointer.
        check("NCryptOpenKey", unsafe {
            NCryptOpenKey(
                provider_handle.0,
                &mut key,
                name.as_ptr(),
                0,
                NCRYPT_MACHINE_KEY_FLAG | NCRYPT_SILENT_FLAG,
            )
        })?;
        Ok(CngKey {
            key: Handle(key),
            _provider: provider_handle,
            provider,
        })
    }

    /// Deletes the key of `provider`, if there is one (a new enrollment, or removal).
    pub fn delete(provider: Provider) -> Result<(), CngError> {
        let key = CngKey::open(provider)?;
        let handle = key.key.0;
        std::mem::forget(key.key);
        // SAFETY: deleting frees the handle, also on failure; it is not used again.
        check("NCryptDeleteKey", unsafe {
            NCryptDeleteKey(handle, NCRYPT_SILENT_FLAG)
        })
    }

    fn in_hardware(&self) -> bool {
        let mut implementation = 0u32;
        let mut written = 0u32;
        // SAFETY: a 4-byte DWORD out buffer.
        let status = unsafe {
            NCryptGetProperty(
                self.key.0,
                NCRYPT_IMPL_TYPE_PROPERTY,
                (&mut implementation as *mut u32).cast(),
                4,
                &mut written,
                0,
            )
        };
        status == 0 && implementation & NCRYPT_IMPL_HARDWARE_FLAG != 0
    }

    /// The public point: x and y, 32 bytes each.
    pub fn public_point(&self) -> Result<([u8; 32], [u8; 32]), CngError> {
        // BCRYPT_ECCKEY_BLOB { magic: u32, length: u32 } then x, y.
        let mut blob = [0u8; 8 + 64];
        let mut written = 0u32;
        // SAFETY: the buffer's size is given; the public blob needs no export right.
        check("NCryptExportKey(ECCPUBLICBLOB)", unsafe {
            NCryptExportKey(
                self.key.0,
                0,
                BCRYPT_ECCPUBLIC_BLOB,
                std::ptr::null(),
                blob.as_mut_ptr(),
                blob.len() as u32,
                &mut written,
                0,
            )
        })?;
        let magic = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]);
        let length = u32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]);
        if magic != BCRYPT_ECDSA_PUBLIC_P256_MAGIC || length != 32 || written != 72 {
            return Err(CngError::BadBlob);
        }
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        x.copy_from_slice(&blob[8..40]);
        y.copy_from_slice(&blob[40..72]);
        Ok((x, y))
    }

    /// ES256 of `message`: SHA-256 here, the signature (r || s, 64 bytes, as JWS wants)
    /// by the provider.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CngError> {
        let digest = ring::digest::digest(&ring::digest::SHA256, message);
        let mut signature = [0u8; 64];
        let mut written = 0u32;
        // SAFETY: the digest and the signature buffer outlive the call; sizes are given.
        check("NCryptSignHash", unsafe {
            NCryptSignHash(
                self.key.0,
                std::ptr::null(),
                digest.as_ref().as_ptr(),
                digest.as_ref().len() as u32,
                signature.as_mut_ptr(),
                signature.len() as u32,
                &mut written,
                NCRYPT_SILENT_FLAG,
            )
        })?;
        Ok(signature[..(written as usize).min(64)].to_vec())
    }
}

fn open_provider(provider: Provider) -> Result<Handle, CngError> {
    let mut handle: NCRYPT_PROV_HANDLE = 0;
    // SAFETY: a valid out pointer and a constant provider name.
    check("NCryptOpenStorageProvider", unsafe {
        NCryptOpenStorageProvider(&mut handle, provider.name(), 0)
    })?;
    Ok(Handle(handle))
}

/// SYSTEM and Administrators may do all with the key, the service may use it.
fn set_acl(key: &Handle) -> Result<(), CngError> {
    let sddl = wide(format!(
        "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GR;;;{})",
        service_sid(SERVICE_NAME)
    ));
    let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    let mut size = 0u32;
    // SAFETY: a NUL-terminated SDDL string; the self-relative descriptor is freed below.
    let parsed = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl.as_ptr(),
            SDDL_REVISION_1,
            &mut descriptor,
            &mut size,
        )
    };
    if parsed == 0 {
        return Err(CngError::Call {
            call: "ConvertStringSecurityDescriptorToSecurityDescriptorW",
            code: std::io::Error::last_os_error().raw_os_error().unwrap_or(0) as u32,
        });
    }
    // SAFETY: `size` bytes of a self-relative descriptor, set on a key not yet finalized.
    let status = unsafe {
        NCryptSetProperty(
            key.0,
            NCRYPT_SECURITY_DESCR_PROPERTY,
            descriptor.cast::<u8>(),
            size,
            DACL_SECURITY_INFORMATION | NCRYPT_SILENT_FLAG,
        )
    };
    // SAFETY: allocated by the conversion above, freed once.
    unsafe { LocalFree(descriptor) };
    check("NCryptSetProperty(Security Descr)", status)
}
