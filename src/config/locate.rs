//! Where the config file comes from. The caller passes in the flag, `$OPSDECK_CONFIG` and the
//! platform config folder, so this never reads the environment itself and tests stay hermetic.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

/// The config file to load, and who asked for it (errors and `check-config` say which).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOrigin {
    /// `--config FILE`.
    Flag(PathBuf),
    /// `$OPSDECK_CONFIG`.
    Env(PathBuf),
    /// `config.toml` in the platform config folder (or `$OPSDECK_HOME/config`).
    Platform(PathBuf),
}

impl ConfigOrigin {
    pub fn path(&self) -> &Path {
        match self {
            ConfigOrigin::Flag(p) | ConfigOrigin::Env(p) | ConfigOrigin::Platform(p) => p,
        }
    }
}

impl fmt::Display for ConfigOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigOrigin::Flag(p) => write!(f, "{} (from --config)", p.display()),
            ConfigOrigin::Env(p) => write!(f, "{} (from $OPSDECK_CONFIG)", p.display()),
            ConfigOrigin::Platform(p) => write!(f, "{} (platform config folder)", p.display()),
        }
    }
}

/// Picks the config file: `--config`, else `$OPSDECK_CONFIG`, else `<config_dir>/config.toml`
/// if it exists. Flag and env paths are returned even when missing, so loading them fails loudly
/// (the user asked for that file); a missing platform file means "no config" (the demo fleet).
/// An empty `$OPSDECK_CONFIG` counts as unset, as shells make "unset" hard to spell in scripts.
pub fn locate(
    flag: Option<&Path>,
    env_value: Option<OsString>,
    config_dir: Option<&Path>,
) -> Option<ConfigOrigin> {
    if let Some(flag) = flag {
        return Some(ConfigOrigin::Flag(flag.to_path_buf()));
    }
    // An OsString, not a String: a non-UTF-8 value is still a perfectly good path.
    if let Some(env) = env_value.filter(|v| !v.is_empty()) {
        return Some(ConfigOrigin::Env(PathBuf::from(env)));
    }
    let platform = config_dir?.join("config.toml");
    platform
        .exists()
        .then_some(ConfigOrigin::Platform(platform))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn dir_with_config() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("config.toml"), "").unwrap();
        dir
    }

    #[test]
    fn flag_wins_over_env_and_platform() {
        let dir = dir_with_config();
        let got = locate(
            Some(Path::new("/f.toml")),
            Some("/e.toml".into()),
            Some(dir.path()),
        );
        assert_eq!(got, Some(ConfigOrigin::Flag("/f.toml".into())));
    }

    #[test]
    fn env_wins_over_platform() {
        let dir = dir_with_config();
        let got = locate(None, Some("/e.toml".into()), Some(dir.path()));
        assert_eq!(got, Some(ConfigOrigin::Env("/e.toml".into())));
    }

    #[test]
    fn empty_env_counts_as_unset() {
        let dir = dir_with_config();
        let got = locate(None, Some("".into()), Some(dir.path()));
        assert_eq!(
            got,
            Some(ConfigOrigin::Platform(dir.path().join("config.toml")))
        );
    }

    #[test]
    fn platform_file_used_when_present() {
        let dir = dir_with_config();
        let got = locate(None, None, Some(dir.path()));
        assert_eq!(
            got,
            Some(ConfigOrigin::Platform(dir.path().join("config.toml")))
        );
    }

    #[test]
    fn missing_platform_file_means_no_config() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(locate(None, None, Some(dir.path())), None);
        assert_eq!(locate(None, None, None), None);
    }

    #[test]
    fn missing_flag_and_env_files_are_still_returned() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        let got = locate(Some(&missing), None, None);
        assert_eq!(got, Some(ConfigOrigin::Flag(missing.clone())));
        let got = locate(None, Some(missing.clone().into_os_string()), None);
        assert_eq!(got, Some(ConfigOrigin::Env(missing)));
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_env_value_is_a_path() {
        use std::os::unix::ffi::OsStringExt;
        let raw = OsString::from_vec(b"/tmp/caf\xe9.toml".to_vec());
        let got = locate(None, Some(raw.clone()), None);
        assert_eq!(got, Some(ConfigOrigin::Env(PathBuf::from(raw))));
    }
}
