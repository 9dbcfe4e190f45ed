//! Logs go to a file in the platform data directory, never to the terminal (it belongs to the UI).

use std::path::{Path, PathBuf};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Start file logging. Returns the guard that flushes on drop and the file used, or None when no
/// writable place exists (the console runs fine without logs).
pub fn init(
    level: &str,
    file: Option<&Path>,
    data_dir: Option<&Path>,
) -> Option<(WorkerGuard, PathBuf)> {
    let path = match file {
        Some(f) => f.to_path_buf(),
        None => data_dir?.join("opsdeck.log"),
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let ok = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .is_ok();
    ok.then_some((guard, path))
}
