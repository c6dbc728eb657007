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
/// synced, so that a crash leaves the old file or the new one. Written by root into a
/// directory of another user (IT enrolling the machine service), the file is given to
/// that user, who must go on reading it.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    private_dir(dir)?;
    let temporary = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    #[cfg(unix)]
    give_to_owner_of(&file, dir)?;
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

#[cfg(unix)]
fn give_to_owner_of(file: &std::fs::File, dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(());
    }
    let owner = std::fs::metadata(dir)?;
    std::os::unix::fs::fchown(file, Some(owner.uid()), Some(owner.gid()))
}
