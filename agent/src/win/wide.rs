//! NUL-terminated UTF-16 for the wide Windows calls.

use std::ffi::OsStr;
use std::os::windows::ffi::OsStrExt;

pub fn wide(text: impl AsRef<OsStr>) -> Vec<u16> {
    text.as_ref().encode_wide().chain(Some(0)).collect()
}

/// The text of a NUL-terminated UTF-16 string Windows handed out.
///
/// # Safety
/// `pointer` is null or points at a NUL-terminated UTF-16 string.
pub unsafe fn from_wide(pointer: *const u16) -> String {
    if pointer.is_null() {
        return String::new();
    }
    let mut length = 0;
    // SAFETY: the caller promises a NUL within the allocation.
    while unsafe { *pointer.add(length) } != 0 {
        length += 1;
    }
    // SAFETY: `length` units were just read.
    String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(pointer, length) })
}
