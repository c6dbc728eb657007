//! The machine service's state directory under `%ProgramData%` (SPEC §10, issue 10 item 6):
//! owned by Administrators, a protected ACL (nothing inherited from ProgramData, where
//! every user may create folders) granting SYSTEM, Administrators and the service's
//! virtual account only. The folders are made here, with that ACL from their first
//! instant; a folder found in their place that a user could have made first (owned by
//! someone else, or granting others access) is refused, never taken over.

use super::wide::{from_wide, wide};
use super::{service_sid, SERVICE_NAME};
use std::path::{Path, PathBuf};
use windows_sys::Win32::Foundation::{
    CloseHandle, LocalFree, ERROR_ALREADY_EXISTS, ERROR_SUCCESS, HANDLE,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW,
    GetNamedSecurityInfoW, SDDL_REVISION_1, SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    AclSizeInformation, GetAce, GetAclInformation, GetTokenInformation, TokenUser,
    ACCESS_ALLOWED_ACE, ACL, ACL_SIZE_INFORMATION, DACL_SECURITY_INFORMATION,
    OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID, SECURITY_ATTRIBUTES, TOKEN_QUERY,
    TOKEN_USER,
};
use windows_sys::Win32::Storage::FileSystem::CreateDirectoryW;
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

const SYSTEM: &str = "S-1-5-18";
const ADMINISTRATORS: &str = "S-1-5-32-544";
const CREATOR_OWNER: &str = "S-1-3-0";
/// Everyone, Authenticated Users, Users: may read the folder above the state (the
/// machine configuration), never write there.
const READERS: [&str; 3] = ["S-1-1-0", "S-1-5-11", "S-1-5-32-545"];
const ACCESS_ALLOWED: u8 = 0;
/// Any right that changes a folder, its contents or its ACL.
const WRITE_RIGHTS: u32 = 0x0002 // FILE_ADD_FILE / FILE_WRITE_DATA
    | 0x0004 // FILE_ADD_SUBDIRECTORY / FILE_APPEND_DATA
    | 0x0010 // FILE_WRITE_EA
    | 0x0040 // FILE_DELETE_CHILD
    | 0x0100 // FILE_WRITE_ATTRIBUTES
    | 0x0001_0000 // DELETE
    | 0x0004_0000 // WRITE_DAC
    | 0x0008_0000 // WRITE_OWNER
    | 0x1000_0000 // GENERIC_ALL
    | 0x4000_0000; // GENERIC_WRITE

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateDirError {
    #[error(
        "cannot create {path} ({source}): run `thaiid-agent setup --state-dir` as an \
         administrator (the installer does)"
    )]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} was not made by this agent's installer ({problem}): an administrator must \
         delete it, then reinstall"
    )]
    Untrusted { path: PathBuf, problem: String },
    #[error("cannot read the permissions of {path}: Windows error {code}")]
    Read { path: PathBuf, code: u32 },
}

/// The folders from below `%ProgramData%` down to `state`, each made with its ACL or
/// checked. A state dir elsewhere (a developer's) gets the same treatment, alone.
pub fn ensure_state_dir(state: &Path) -> Result<(), StateDirError> {
    let service = service_sid(SERVICE_NAME);
    for (dir, is_state) in chain(state) {
        let sddl = match is_state {
            // Full control for the service: the key, enrollment, counter, certificate.
            true => format!("O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;{service})"),
            // Above it, the users may read (the machine configuration), not write.
            false => format!(
                "O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;{service})\
                 (A;OICI;0x1200a9;;;BU)"
            ),
        };
        match create(&dir, &sddl) {
            Ok(()) => {}
            Err(error) if error.raw_os_error() == Some(ERROR_ALREADY_EXISTS as i32) => {
                check(&dir, is_state, &service)?
            }
            Err(source) => return Err(StateDirError::Create { path: dir, source }),
        }
    }
    Ok(())
}

/// Checks `state` and the folders above it, creating nothing: for the service, which
/// cannot create them and must not run from folders a user made.
pub fn check_state_dir(state: &Path) -> Result<(), StateDirError> {
    let service = service_sid(SERVICE_NAME);
    for (dir, is_state) in chain(state) {
        check(&dir, is_state, &service)?;
    }
    Ok(())
}

/// `%ProgramData%\a\b\state` → `[(…\a, false), (…\a\b, false), (…\state, true)]`.
fn chain(state: &Path) -> Vec<(PathBuf, bool)> {
    let program_data = std::env::var_os("ProgramData").map(PathBuf::from);
    let mut dirs = vec![(state.to_path_buf(), true)];
    if let Some(root) = program_data.filter(|root| state.starts_with(root)) {
        let mut dir = state.parent();
        while let Some(parent) = dir.filter(|dir| *dir != root && dir.starts_with(&root)) {
            dirs.push((parent.to_path_buf(), false));
            dir = parent.parent();
        }
    }
    dirs.reverse();
    dirs
}

fn create(dir: &Path, sddl: &str) -> std::io::Result<()> {
    let sddl = wide(sddl);
    let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: a NUL-terminated SDDL string; the descriptor is LocalAlloc'ed and freed below.
    let parsed = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl.as_ptr(),
            SDDL_REVISION_1,
            &mut descriptor,
            std::ptr::null_mut(),
        )
    };
    if parsed == 0 {
        return Err(std::io::Error::last_os_error());
    }
    let attributes = SECURITY_ATTRIBUTES {
        nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: descriptor,
        bInheritHandle: 0,
    };
    let path = wide(dir);
    // SAFETY: a NUL-terminated path and a valid descriptor that outlives the call.
    let made = unsafe { CreateDirectoryW(path.as_ptr(), &attributes) };
    let result = match made {
        0 => Err(std::io::Error::last_os_error()),
        _ => Ok(()),
    };
    // SAFETY: allocated by the conversion above, freed once.
    unsafe { LocalFree(descriptor) };
    result
}

/// Owner Administrators or SYSTEM; a DACL that allows nobody else anything in the state
/// dir, and nobody else any write above it.
fn check(dir: &Path, is_state: bool, service: &str) -> Result<(), StateDirError> {
    let untrusted = |problem: String| StateDirError::Untrusted {
        path: dir.to_path_buf(),
        problem,
    };
    let security = Security::of(dir)?;
    let owner = security.owner();
    // The account running this (LocalSystem for the installer, the service's own) may own
    // it too: Wine, which keeps no owners, reports every file as the running user's.
    let me = current_user().unwrap_or_default();
    if owner != SYSTEM && owner != ADMINISTRATORS && owner != me {
        return Err(untrusted(format!(
            "its owner is {owner}, not Administrators"
        )));
    }
    let Some(aces) = security.allowed_aces() else {
        return Err(untrusted("it has no ACL: everyone has full access".into()));
    };
    for (sid, mask) in aces {
        let trusted = [SYSTEM, ADMINISTRATORS, service, CREATOR_OWNER, &me].contains(&sid.as_str());
        let reader = !is_state && READERS.contains(&sid.as_str()) && mask & WRITE_RIGHTS == 0;
        if !trusted && !reader {
            return Err(untrusted(format!(
                "it grants {sid} access (mask {mask:#x})"
            )));
        }
    }
    Ok(())
}

/// A file's owner and DACL, as GetNamedSecurityInfo handed them out.
struct Security {
    descriptor: PSECURITY_DESCRIPTOR,
    owner: PSID,
    dacl: *mut ACL,
}

impl Security {
    fn of(dir: &Path) -> Result<Security, StateDirError> {
        let path = wide(dir);
        let mut security = Security {
            descriptor: std::ptr::null_mut(),
            owner: std::ptr::null_mut(),
            dacl: std::ptr::null_mut(),
        };
        // SAFETY: the out pointers are valid; owner and DACL point into the descriptor,
        // which Drop frees.
        let code = unsafe {
            GetNamedSecurityInfoW(
                path.as_ptr(),
                SE_FILE_OBJECT,
                OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                &mut security.owner,
                std::ptr::null_mut(),
                &mut security.dacl,
                std::ptr::null_mut(),
                &mut security.descriptor,
            )
        };
        match code {
            ERROR_SUCCESS => Ok(security),
            code => Err(StateDirError::Read {
                path: dir.to_path_buf(),
                code,
            }),
        }
    }

    fn owner(&self) -> String {
        sid_string(self.owner)
    }

    /// Each access-allowed ACE: its SID and mask. `None` for a NULL DACL (full access
    /// for everyone). Deny ACEs only take away, so they are skipped.
    fn allowed_aces(&self) -> Option<Vec<(String, u32)>> {
        if self.dacl.is_null() {
            return None;
        }
        let mut size = ACL_SIZE_INFORMATION {
            AceCount: 0,
            AclBytesInUse: 0,
            AclBytesFree: 0,
        };
        // SAFETY: a valid ACL of the descriptor; the buffer is the size the class needs.
        let read = unsafe {
            GetAclInformation(
                self.dacl,
                (&mut size as *mut ACL_SIZE_INFORMATION).cast(),
                std::mem::size_of::<ACL_SIZE_INFORMATION>() as u32,
                AclSizeInformation,
            )
        };
        if read == 0 {
            return None;
        }
        let mut aces = Vec::new();
        for index in 0..size.AceCount {
            let mut ace: *mut core::ffi::c_void = std::ptr::null_mut();
            // SAFETY: index < AceCount; the ACE points into the ACL.
            if unsafe { GetAce(self.dacl, index, &mut ace) } == 0 || ace.is_null() {
                return None;
            }
            let ace = ace.cast::<ACCESS_ALLOWED_ACE>();
            // SAFETY: every ACE begins with an ACE_HEADER; an access-allowed one is an
            // ACCESS_ALLOWED_ACE whose SID starts at SidStart.
            unsafe {
                if (*ace).Header.AceType != ACCESS_ALLOWED {
                    continue;
                }
                let sid = std::ptr::addr_of_mut!((*ace).SidStart).cast::<core::ffi::c_void>();
                aces.push((sid_string(sid), (*ace).Mask));
            }
        }
        Some(aces)
    }
}

impl Drop for Security {
    fn drop(&mut self) {
        // SAFETY: LocalAlloc'ed by GetNamedSecurityInfoW, freed once.
        unsafe { LocalFree(self.descriptor) };
    }
}

fn sid_string(sid: PSID) -> String {
    if sid.is_null() {
        return "nobody".into();
    }
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: a valid SID; the string is LocalAlloc'ed and freed below.
    if unsafe { ConvertSidToStringSidW(sid, &mut text) } == 0 {
        return "an unreadable SID".into();
    }
    // SAFETY: a NUL-terminated string from the call above, freed once.
    unsafe {
        let string = from_wide(text);
        LocalFree(text.cast());
        string
    }
}

/// The SID of the account this process runs as.
fn current_user() -> Option<String> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: the pseudo handle of this process; the token is closed below.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return None;
    }
    // TOKEN_USER and its SID, 8-aligned.
    let mut buffer = [0u64; 64];
    let mut size = 0u32;
    // SAFETY: the buffer holds the size given; the token is valid.
    let read = unsafe {
        GetTokenInformation(
            token,
            TokenUser,
            buffer.as_mut_ptr().cast(),
            std::mem::size_of_val(&buffer) as u32,
            &mut size,
        )
    };
    // SAFETY: opened above, closed once.
    unsafe { CloseHandle(token) };
    if read == 0 {
        return None;
    }
    // SAFETY: the call filled a TOKEN_USER at the start of the buffer.
    let user = unsafe { &*buffer.as_ptr().cast::<TOKEN_USER>() };
    Some(sid_string(user.User.Sid))
}
