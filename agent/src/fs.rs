//! Files only the agent's user may read, written whole or not at all.

use std::io::Write;
use std::path::Path;

/// Creates `dir` (0700 on Unix) if missing.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes `bytes` to `path` (0600 on Unix) through a temporary file and a rename, both
/// synced, so that a crash leaves the old file or the new one. The temporary file is
/// made anew (never opened through a link someone left in its place).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    private_dir(dir)?;
    let temporary = path.with_extension("tmp");
    match std::fs::remove_file(&temporary) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    sync_dir(dir)
}

/// Makes the rename itself durable (Unix; Windows' rename is journalled with the file).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    let _ = dir;
    Ok(())
}

/// Run by root on the machine service's state dir (IT enrolling again, `doctor`), the
/// command becomes the dir's owner before touching anything in it: what it writes is
/// the service's, and nothing the service's user left there (a link to /etc/shadow, say)
/// is ever opened with root's rights. Other users, and a dir root owns, are left as they are.
#[cfg(unix)]
pub fn become_owner_of(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(());
    }
    let owner = match std::fs::metadata(dir) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    if owner.uid() == 0 {
        return Ok(());
    }
    // SAFETY: plain system calls on integers; the group list is emptied first, then the
    // group, then the user, each checked.
    let dropped = unsafe {
        libc::setgroups(0, std::ptr::null()) == 0
            && libc::setgid(owner.gid()) == 0
            && libc::setuid(owner.uid()) == 0
    };
    match dropped {
        true => Ok(()),
        false => Err(std::io::Error::last_os_error()),
    }
}

#[cfg(not(unix))]
pub fn become_owner_of(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(unix)]
    fn a_link_left_in_place_of_the_temporary_file_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let path = dir.path().join("agent.key");
        std::os::unix::fs::symlink(&victim, dir.path().join("agent.tmp")).unwrap();
        super::write_private(&path, b"key").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::read(&path).unwrap(), b"key");
    }
}
