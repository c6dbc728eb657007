//! Whether a client process is privileged on this machine (SPEC §5 "Caller"), the
//! Windows analog of Linux's root: its token is elevated (an administrator's, with the
//! Administrators group enabled) or it runs as LocalSystem. The state dir's ACL gives both
//! full control (SPEC §10), so they could use the key anyway; refusing them protects
//! nothing. Whatever Windows will not say (the process gone, access denied, no token)
//! is not privileged.

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
use windows_sys::Win32::Security::{
    GetTokenInformation, IsWellKnownSid, TokenElevation, TokenUser, WinLocalSystemSid,
    TOKEN_ELEVATION, TOKEN_QUERY, TOKEN_USER,
};
use windows_sys::Win32::System::Threading::{
    OpenProcess, OpenProcessToken, PROCESS_QUERY_LIMITED_INFORMATION,
};

/// Whether the process `pid` runs elevated or as LocalSystem.
pub fn is_privileged(pid: u32) -> bool {
    let Some(token) = Token::of(pid) else {
        return false;
    };
    token.is_elevated() || token.is_local_system()
}

/// An open handle, closed on drop.
struct Owned(HANDLE);

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: a handle this module opened, closed once.
        unsafe { CloseHandle(self.0) };
    }
}

/// The access token of another process, opened for queries.
struct Token(Owned);

impl Token {
    fn of(pid: u32) -> Option<Token> {
        // SAFETY: no pointers; a null handle is failure.
        let process = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
        if process.is_null() {
            return None;
        }
        let process = Owned(process);
        let mut token: HANDLE = std::ptr::null_mut();
        // SAFETY: a valid process handle and a valid out pointer.
        if unsafe { OpenProcessToken(process.0, TOKEN_QUERY, &mut token) } == 0 {
            return None;
        }
        Some(Token(Owned(token)))
    }

    fn is_elevated(&self) -> bool {
        let mut elevation = TOKEN_ELEVATION { TokenIsElevated: 0 };
        let mut size = 0u32;
        // SAFETY: `elevation` is a TOKEN_ELEVATION of the size given; the token is open.
        let read = unsafe {
            GetTokenInformation(
                self.0 .0,
                TokenElevation,
                (&mut elevation as *mut TOKEN_ELEVATION).cast(),
                std::mem::size_of::<TOKEN_ELEVATION>() as u32,
                &mut size,
            )
        };
        read != 0 && elevation.TokenIsElevated != 0
    }

    fn is_local_system(&self) -> bool {
        // TOKEN_USER and its SID, 8-aligned.
        let mut buffer = [0u64; 64];
        let mut size = 0u32;
        // SAFETY: the buffer holds the size given; the token is open.
        let read = unsafe {
            GetTokenInformation(
                self.0 .0,
                TokenUser,
                buffer.as_mut_ptr().cast(),
                std::mem::size_of_val(&buffer) as u32,
                &mut size,
            )
        };
        if read == 0 {
            return false;
        }
        // SAFETY: the call filled a TOKEN_USER at the start of the buffer, whose SID
        // pointer points into the same buffer.
        unsafe {
            let user = buffer.as_ptr().cast::<TOKEN_USER>().read_unaligned();
            IsWellKnownSid(user.User.Sid, WinLocalSystemSid) != 0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_privileged;

    #[test]
    fn a_process_windows_cannot_open_is_not_privileged() {
        // The System Idle Process (never opened) and a pid no process has.
        assert!(!is_privileged(0));
        assert!(!is_privileged(u32::MAX - 3));
    }
}
