//! "Open diagnostics": `thaiid-agent doctor` into a text file, shown by the platform's
//! viewer. On a thread of its own: doctor takes seconds, the tray must not freeze.

use std::path::PathBuf;
use std::process::Command;

pub fn open() {
    let spawned = std::thread::Builder::new()
        .name("diagnostics".into())
        .spawn(|| match write_report().and_then(|path| show(&path)) {
            Ok(()) => {}
            Err(error) => tracing::warn!("open diagnostics: {error}"),
        });
    if let Err(error) = spawned {
        tracing::warn!("open diagnostics: {error}");
    }
}

/// Runs doctor and writes what it printed; gives the file's path.
fn write_report() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let output = Command::new(exe).arg("doctor").output()?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    text.push_str(&format!("\n(thaiid-agent doctor: {})\n", output.status));
    // A new file each time (create_new): never written through someone's symlink in /tmp.
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    let path = std::env::temp_dir().join(format!(
        "thaiid-agent-diagnostics-{}-{stamp}.txt",
        std::process::id()
    ));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    Ok(path)
}

fn show(path: &std::path::Path) -> std::io::Result<()> {
    let viewer = if cfg!(windows) {
        "notepad"
    } else if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let status = Command::new(viewer).arg(path).status()?;
    if !status.success() {
        tracing::warn!("{viewer} {}: {status}", path.display());
    }
    Ok(())
}
