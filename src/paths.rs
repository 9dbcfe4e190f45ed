//! Platform directories (config, data, cache) from the `directories` crate, overridable for tests.

use directories::ProjectDirs;
use std::path::PathBuf;

/// Where opsdeck reads user files and writes logs. Tests build one pointing at a temp dir, so
/// nothing global is consulted twice and two apps can run side by side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// User config folder: `config.toml`, `keymap.toml`, `themes/*.toml`.
    pub config_dir: Option<PathBuf>,
    /// Logs and the audit log.
    pub data_dir: Option<PathBuf>,
    /// Cached responses (Cost Explorer).
    pub cache_dir: Option<PathBuf>,
}

impl Paths {
    /// The platform's folders, e.g. `~/.config/opsdeck` on Linux. `OPSDECK_HOME`, when set, puts
    /// all three under one folder (handy on shared bastions and in tests).
    pub fn platform() -> Paths {
        if let Some(home) = std::env::var_os("OPSDECK_HOME") {
            return Paths::under(PathBuf::from(home));
        }
        match ProjectDirs::from("dev", "opsdeck", "opsdeck") {
            Some(dirs) => Paths {
                config_dir: Some(dirs.config_dir().to_path_buf()),
                data_dir: Some(dirs.data_dir().to_path_buf()),
                cache_dir: Some(dirs.cache_dir().to_path_buf()),
            },
            None => Paths {
                config_dir: None,
                data_dir: None,
                cache_dir: None,
            },
        }
    }

    /// All folders under one root: `ROOT/config`, `ROOT/data`, `ROOT/cache`.
    pub fn under(root: PathBuf) -> Paths {
        Paths {
            config_dir: Some(root.join("config")),
            data_dir: Some(root.join("data")),
            cache_dir: Some(root.join("cache")),
        }
    }

    /// The audit log of actions (JSON lines), in the data folder: `audit.jsonl` for real
    /// fleets, `audit-demo.jsonl` for the demo fleet, so an action tried on the demo never
    /// shows in a real fleet's Activity (which reads this log back).
    pub fn audit_log(&self, demo: bool) -> Option<PathBuf> {
        let file = if demo {
            "audit-demo.jsonl"
        } else {
            "audit.jsonl"
        };
        self.data_dir.as_ref().map(|d| d.join(file))
    }

    /// No user folders at all: only the embedded defaults are used.
    pub fn none() -> Paths {
        Paths {
            config_dir: None,
            data_dir: None,
            cache_dir: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_has_its_own_audit_log_beside_the_real_one() {
        let p = Paths::under(PathBuf::from("/h"));
        assert_eq!(
            p.audit_log(false),
            Some(PathBuf::from("/h/data/audit.jsonl"))
        );
        assert_eq!(
            p.audit_log(true),
            Some(PathBuf::from("/h/data/audit-demo.jsonl"))
        );
        assert_eq!(Paths::none().audit_log(true), None);
    }
}
