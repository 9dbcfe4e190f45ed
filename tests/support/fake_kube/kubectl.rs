//! The real kubectl against a fake: where to find it (never skipped: a missing kubectl fails the
//! test and says what to install) and how to run it with a private kubeconfig and cache.

use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::time::timeout;

/// `$KUBECTL`, else `/usr/local/bin/kubectl`, else `kubectl` on `$PATH`. Missing: the test fails.
pub fn kubectl_binary() -> PathBuf {
    let install = "these tests drive the real kubectl against the fake API server: install \
                   kubectl 1.33 (https://kubernetes.io/docs/tasks/tools/) or set KUBECTL=/path/to/kubectl";
    if let Some(p) = std::env::var_os("KUBECTL") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "KUBECTL={} is not a file. {install}",
            p.display()
        );
        return p;
    }
    let local = Path::new("/usr/local/bin/kubectl");
    if local.is_file() {
        return local.to_path_buf();
    }
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join("kubectl"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!("kubectl not found (looked at $KUBECTL, /usr/local/bin/kubectl and $PATH). {install}")
        })
}

pub struct Kubectl {
    pub bin: PathBuf,
    pub kubeconfig: PathBuf,
    /// kubectl's discovery cache: one per fake, so a port reused later does not see stale data.
    pub cache: PathBuf,
}

impl Kubectl {
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(&self.bin);
        cmd.arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(&self.cache)
            .arg("--request-timeout=5s")
            .args(args)
            .env_remove("KUBECONFIG")
            .kill_on_drop(true);
        cmd
    }

    /// Run to completion (at most 20 s); panics with stderr unless it succeeds.
    pub async fn run(&self, args: &[&str]) -> String {
        let out = timeout(Duration::from_secs(20), self.command(args).output())
            .await
            .unwrap_or_else(|_| panic!("kubectl {args:?} did not finish within 20 s"))
            .unwrap_or_else(|e| panic!("running {}: {e}", self.bin.display()));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "kubectl {args:?} failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }
}
