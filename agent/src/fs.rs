//! Files only the agent's user may read, written whole or not at all.

use std::io::Write;
use std::path::{Path, PathBuf};

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

/// A machine service's state dir that it will not use (SPEC §10).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateDirError {
    #[error(
        "the state dir {0} is a symbolic link: the service keeps its key only in a real \
         directory (remove the link; the service makes the directory)"
    )]
    Link(PathBuf),
    #[error("the state dir {0} is not a directory: remove it (the service makes the directory)")]
    NotDirectory(PathBuf),
    #[error(
        "the state dir {path} belongs to uid {owner}, not to the service's user (uid {service}): \
         chown -R it to the service's user (the package's unit runs it as thaiid-agent), or remove it"
    )]
    Owner {
        path: PathBuf,
        owner: u32,
        service: u32,
    },
    #[error("the state dir {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The machine service's state dir as SPEC §10 wants it: a directory of the service's
/// own user, mode 0700. Made so when missing, tightened when it is looser; a link, or a
/// directory of another user, is refused. Opened without following a link, and changed
/// through that handle, so that nothing swapped in between is chmod-ed.
#[cfg(unix)]
pub fn tighten_state_dir(dir: &Path) -> Result<(), StateDirError> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    let io = |source: std::io::Error| StateDirError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_DIRECTORY)
        .open(dir);
    let handle = match opened {
        Ok(handle) => handle,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return private_dir(dir).map_err(io)
        }
        Err(error) => {
            return Err(match std::fs::symlink_metadata(dir) {
                Ok(metadata) if metadata.file_type().is_symlink() => {
                    StateDirError::Link(dir.to_path_buf())
                }
                Ok(metadata) if !metadata.is_dir() => {
                    StateDirError::NotDirectory(dir.to_path_buf())
                }
                _ => io(error),
            })
        }
    };
    let metadata = handle.metadata().map_err(io)?;
    // SAFETY: geteuid has no preconditions.
    let service = unsafe { libc::geteuid() };
    if metadata.uid() != service {
        return Err(StateDirError::Owner {
            path: dir.to_path_buf(),
            owner: metadata.uid(),
            service,
        });
    }
    if metadata.mode() & 0o777 != 0o700 {
        handle
            .set_permissions(std::fs::Permissions::from_mode(0o700))
            .map_err(io)?;
        tracing::warn!(
            "the state dir {} was mode {:o}: made 0700",
            dir.display(),
            metadata.mode() & 0o777
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(unix)]
    fn a_loose_state_dir_is_tightened_and_a_link_refused() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let state = root.path().join("state");
        std::fs::create_dir(&state).unwrap();
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
        super::tighten_state_dir(&state).unwrap();
        let mode = std::fs::metadata(&state).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        // Missing: made, 0700.
        let fresh = root.path().join("fresh");
        super::tighten_state_dir(&fresh).unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&state, &link).unwrap();
        let error = super::tighten_state_dir(&link).unwrap_err();
        assert!(matches!(error, super::StateDirError::Link(_)), "{error}");
        let file = root.path().join("file");
        std::fs::write(&file, "").unwrap();
        let error = super::tighten_state_dir(&file).unwrap_err();
        assert!(
            matches!(error, super::StateDirError::NotDirectory(_)),
            "{error}"
        );
    }

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
