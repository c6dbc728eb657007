//! The Root stores on Windows, through CryptoAPI: the machine's (LocalMachine), where
//! `setup --state-dir` run by the installer as LocalSystem puts the machine service's CA
//! (SPEC §5), and the user's, for a developer's agent run by hand. Edge and Chrome trust
//! both, and Firefox does too (security.enterprise_roots.enabled, on by default there).
//! Windows asks the user to confirm every root added to or deleted from the user's
//! store: that dialog is Windows protecting the user, and a "No" is reported as a failed
//! store. The machine's store takes an administrator and asks nothing.

use super::ca;
use super::done::Done;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::ffi::c_void;
use windows_sys::Win32::Foundation::{GetLastError, ERROR_CANCELLED};
use windows_sys::Win32::Security::Cryptography::{
    CertAddEncodedCertificateToStore, CertCloseStore, CertDeleteCertificateFromStore,
    CertDuplicateCertificateContext, CertEnumCertificatesInStore, CertFreeCertificateContext,
    CertGetNameStringW, CertOpenStore, CERT_CONTEXT, CERT_NAME_ATTR_TYPE,
    CERT_STORE_ADD_USE_EXISTING, CERT_STORE_PROV_SYSTEM_REGISTRY_W, CERT_STORE_PROV_SYSTEM_W,
    CERT_SYSTEM_STORE_CURRENT_USER, CERT_SYSTEM_STORE_LOCAL_MACHINE, HCERTSTORE,
    PKCS_7_ASN_ENCODING, X509_ASN_ENCODING,
};

/// Which Root store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    CurrentUser,
    LocalMachine,
}

pub fn sync(ca_pem: &str) -> Result<Done, String> {
    sync_in(Scope::CurrentUser, ca_pem)
}

pub fn remove_ours() -> Result<usize, String> {
    remove_ours_in(Scope::CurrentUser)
}

pub fn trusts(ca_pem: &str) -> Result<bool, String> {
    trusts_in(Scope::CurrentUser, ca_pem)
}

pub fn sync_in(scope: Scope, ca_pem: &str) -> Result<Done, String> {
    let der = CertificateDer::from_pem_slice(ca_pem.as_bytes())
        .map_err(|e| format!("ca.pem is unreadable ({e})"))?;
    let store = Store::open(scope)?;
    let mut present = false;
    let mut removed = 0;
    for (_, certificate) in store.ours() {
        if certificate.der() == der.as_ref() {
            present = true;
        } else {
            certificate.delete(store.1)?;
            removed += 1;
        }
    }
    if !present {
        store.add(&der)?;
    }
    Ok(Done::Trusted {
        added: !present,
        removed,
    })
}

pub fn remove_ours_in(scope: Scope) -> Result<usize, String> {
    let store = Store::open(scope)?;
    let ours = store.ours();
    let count = ours.len();
    for (_, certificate) in ours {
        certificate.delete(store.1)?;
    }
    Ok(count)
}

pub fn trusts_in(scope: Scope, ca_pem: &str) -> Result<bool, String> {
    let der = CertificateDer::from_pem_slice(ca_pem.as_bytes())
        .map_err(|e| format!("ca.pem is unreadable ({e})"))?;
    Ok(Store::open(scope)?
        .ours()
        .iter()
        .any(|(_, certificate)| certificate.der() == der.as_ref()))
}

struct Store(HCERTSTORE, Scope);

impl Store {
    fn open(scope: Scope) -> Result<Store, String> {
        let name = windows_sys::core::w!("Root");
        // The machine's store is opened at its registry, where `setup` adds the CA: the
        // system store's collection view loses deletions under Wine.
        let (provider, location) = match scope {
            Scope::CurrentUser => (CERT_STORE_PROV_SYSTEM_W, CERT_SYSTEM_STORE_CURRENT_USER),
            Scope::LocalMachine => (
                CERT_STORE_PROV_SYSTEM_REGISTRY_W,
                CERT_SYSTEM_STORE_LOCAL_MACHINE,
            ),
        };
        // SAFETY: a system store opened by name; the handle is closed on drop.
        let handle = unsafe { CertOpenStore(provider, 0, 0, location, name.cast::<c_void>()) };
        match handle.is_null() {
            true => Err(last_error(scope, "cannot open the Root store")),
            false => Ok(Store(handle, scope)),
        }
    }

    /// Every certificate named like one of our CAs, with its name.
    fn ours(&self) -> Vec<(String, Certificate)> {
        let mut found = Vec::new();
        let mut previous: *const CERT_CONTEXT = std::ptr::null();
        loop {
            // SAFETY: enumeration frees `previous` and hands out the next context.
            let context = unsafe { CertEnumCertificatesInStore(self.0, previous) };
            if context.is_null() {
                return found;
            }
            previous = context;
            let name = common_name(context);
            if ca::is_ours(&name) {
                // SAFETY: a duplicate outlives the enumeration; freed by `Certificate`.
                let kept = unsafe { CertDuplicateCertificateContext(context) };
                found.push((name, Certificate(kept)));
            }
        }
    }

    fn add(&self, der: &[u8]) -> Result<(), String> {
        let length = u32::try_from(der.len()).map_err(|_| "ca.pem is too large".to_owned())?;
        // SAFETY: `der` outlives the call; no context is asked back.
        let added = unsafe {
            CertAddEncodedCertificateToStore(
                self.0,
                X509_ASN_ENCODING | PKCS_7_ASN_ENCODING,
                der.as_ptr(),
                length,
                CERT_STORE_ADD_USE_EXISTING,
                std::ptr::null_mut(),
            )
        };
        match added {
            0 => Err(last_error(self.1, "cannot add the CA")),
            _ => Ok(()),
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // SAFETY: the handle came from CertOpenStore and is closed once.
        unsafe { CertCloseStore(self.0, 0) };
    }
}

struct Certificate(*const CERT_CONTEXT);

impl Certificate {
    fn der(&self) -> &[u8] {
        // SAFETY: a live context's encoded bytes, valid while the context is.
        unsafe {
            let context = &*self.0;
            std::slice::from_raw_parts(context.pbCertEncoded, context.cbCertEncoded as usize)
        }
    }

    fn delete(self, scope: Scope) -> Result<(), String> {
        let context = self.0;
        // The call frees the context, even when it fails.
        std::mem::forget(self);
        // SAFETY: a duplicated context of the store, handed over to be freed.
        match unsafe { CertDeleteCertificateFromStore(context) } {
            0 => Err(last_error(scope, "cannot remove an old CA of this agent")),
            _ => Ok(()),
        }
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        // SAFETY: our duplicate, freed once.
        unsafe { CertFreeCertificateContext(self.0) };
    }
}

fn common_name(context: *const CERT_CONTEXT) -> String {
    let mut buffer = [0u16; 256];
    let oid = windows_sys::Win32::Security::Cryptography::szOID_COMMON_NAME;
    // SAFETY: writes at most `buffer.len()` UTF-16 units, NUL included.
    let written = unsafe {
        CertGetNameStringW(
            context,
            CERT_NAME_ATTR_TYPE,
            0,
            oid.cast::<c_void>(),
            buffer.as_mut_ptr(),
            buffer.len() as u32,
        )
    };
    let length = (written as usize).saturating_sub(1).min(buffer.len());
    String::from_utf16_lossy(&buffer[..length])
}

fn last_error(scope: Scope, what: &str) -> String {
    // SAFETY: reads the calling thread's last error.
    match (unsafe { GetLastError() }, scope) {
        (code, Scope::LocalMachine) => format!(
            "{what} of the machine (Windows error {code}): run `thaiid-agent setup --state-dir` \
             as an administrator (the installer does)"
        ),
        (ERROR_CANCELLED, Scope::CurrentUser) => format!(
            "{what}: the Windows confirmation was answered No; run `thaiid-agent setup` \
             again and answer Yes"
        ),
        (code, Scope::CurrentUser) => format!(
            "{what} of the user (Windows error {code}): run `thaiid-agent setup` again as the \
             user who uses the browser"
        ),
    }
}
