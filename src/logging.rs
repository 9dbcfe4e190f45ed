//! Logs go to a file in the platform data directory, never to the terminal (it belongs to the UI).
//!
//! No credential reaches the file at any level. Two guards:
//! - the AWS SDK, its HTTP stack and TLS are capped at `info` whatever `logging.level` says
//!   (`CAPS`): at debug and trace they log resolved identities (the access key id) and the
//!   canonical request SigV4 signs (with `x-amz-security-token`);
//! - every line is redacted as it is written (`redact`): AWS access key ids, EKS tokens
//!   (`k8s-aws-v1.…`), bearer tokens, and the values of secret keys, session and security
//!   tokens, authorization headers and passwords, whichever crate logged them.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Targets whose debug and trace events carry credentials or whole requests: capped at `info`.
pub const CAPS: &[&str] = &[
    "aws_sigv4",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http",
    "aws_smithy_http_client",
    "aws_smithy_types",
    "aws_smithy_json",
    "aws_smithy_query",
    "aws_smithy_xml",
    "aws_smithy_cbor",
    "aws_config",
    "aws_credential_types",
    "aws_runtime",
    "aws_sdk_cloudwatch",
    "aws_sdk_costexplorer",
    "aws_sdk_eks",
    "aws_sdk_sts",
    "aws_sdk_sso",
    "aws_sdk_ssooidc",
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
    "tower",
    "tower_http",
];

/// The filter for `level`: the user's directives, then the caps (which win for their targets).
pub fn filter(level: &str) -> EnvFilter {
    let base = if EnvFilter::try_new(level).is_ok() {
        level
    } else {
        "info"
    };
    let caps: Vec<String> = CAPS.iter().map(|t| format!("{t}=info")).collect();
    let text = format!("{base},{}", caps.join(","));
    EnvFilter::try_new(&text).unwrap_or_else(|_| EnvFilter::new("info"))
}

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
    let (writer, guard) = tracing_appender::non_blocking(Redacting(file));
    let ok = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter(level))
        .try_init()
        .is_ok();
    ok.then_some((guard, path))
}

/// A writer that redacts credentials from what it writes (one formatted event per write).
pub struct Redacting<W>(pub W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        match redact(&text) {
            Cow::Borrowed(_) => self.0.write_all(buf)?,
            Cow::Owned(clean) => self.0.write_all(clean.as_bytes())?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

const HIDDEN: &str = "<redacted>";

/// Names whose values are secrets, matched without regard to case (`X-Amz-Security-Token`,
/// `aws_session_token`, `secret_access_key: "…"`, `Authorization: …`).
const SECRET_KEYS: &[&str] = &[
    "security-token",
    "security_token",
    "session_token",
    "session-token",
    "sessiontoken",
    "secret_access_key",
    "secretaccesskey",
    "secret-access-key",
    "authorization",
    "password",
    "x-amz-credential",
    "access_key_id",
    "accesskeyid",
];

/// `text` with every credential replaced by `<redacted>` (borrowed when there was none).
pub fn redact(text: &str) -> Cow<'_, str> {
    let lower = text.to_ascii_lowercase();
    let suspicious = lower.contains("k8s-aws-v1.")
        || lower.contains("bearer ")
        || SECRET_KEYS.iter().any(|k| lower.contains(k))
        || access_key_at(text.as_bytes(), 0).is_some();
    if !suspicious {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &lower[i..];
        // An EKS token or a bearer token: the token itself.
        if let Some(prefix) = ["k8s-aws-v1.", "bearer "]
            .iter()
            .find(|p| rest.starts_with(**p))
        {
            out.push_str(&text[i..i + prefix.len()]);
            out.push_str(HIDDEN);
            i += prefix.len();
            while i < bytes.len() && token_byte(bytes[i]) {
                i += 1;
            }
            continue;
        }
        // An AWS access key id (AKIA…, ASIA…: 4 letters + 16 upper-case letters or digits).
        if let Some(end) = access_key_at(bytes, i).filter(|&e| e == i + 20) {
            out.push_str(&text[i..i + 4]);
            out.push_str(HIDDEN);
            i = end;
            continue;
        }
        // `name<sep>value`: the value.
        if let Some(key) = SECRET_KEYS.iter().find(|k| rest.starts_with(**k)) {
            out.push_str(&text[i..i + key.len()]);
            i += key.len();
            let sep_start = i;
            while i < bytes.len() && matches!(bytes[i], b' ' | b':' | b'=' | b'"' | b'\'' | b'\t') {
                i += 1;
            }
            let sep = &text[sep_start..i];
            if sep.is_empty() || !sep.contains([':', '=']) {
                i = sep_start; // the word alone (e.g. "no authorization"): nothing follows it
                continue;
            }
            out.push_str(sep);
            let quoted = sep.ends_with(['"', '\'']);
            let start = i;
            while i < bytes.len() {
                let b = bytes[i];
                let stop = if quoted {
                    b == b'"' || b == b'\'' || b == b'\n'
                } else {
                    b.is_ascii_whitespace() || matches!(b, b'&' | b',' | b'}' | b';' | b'"')
                };
                if stop {
                    break;
                }
                i += 1;
            }
            if i > start {
                out.push_str(HIDDEN);
            }
            continue;
        }
        let ch = text[i..].chars().next().expect("in bounds");
        out.push(ch);
        i += ch.len_utf8();
    }
    Cow::Owned(out)
}

/// Bytes a token is made of (base64url, base64, and the dots of JWTs).
fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+' | b'/' | b'=' | b'%')
}

/// Where an access key id starting at `at` (or, with `at = 0`, anywhere) ends.
fn access_key_at(bytes: &[u8], at: usize) -> Option<usize> {
    let is_key = |i: usize| {
        let w = bytes.get(i..i + 20)?;
        let prefix = &w[..4];
        let known = [
            b"AKIA", b"ASIA", b"AIDA", b"AROA", b"AGPA", b"ANPA", b"ABIA", b"ACCA",
        ];
        let ok = known.iter().any(|p| prefix == *p)
            && w[4..]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
            && bytes.get(i + 20).is_none_or(|b| !b.is_ascii_alphanumeric());
        ok.then_some(i + 20)
    };
    if at > 0 {
        return is_key(at);
    }
    (0..bytes.len()).find_map(is_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted_and_the_rest_is_kept() {
        let line = "identity=Credentials { access_key_id: \"AKIA0000100000000330\", \
                    secret_access_key: \"wJalr/XUtn+FEMI\" } x-amz-security-token:IQoJb3JpZ2lu \
                    url?X-Amz-Security-Token=FwoGZX%2Bz&X-Amz-Date=2026 \
                    authorization: Bearer k8s-aws-v1.aHR0cHM6Ly9zdHM key ASIAABCDEFGHIJKLMNOP.";
        let out = redact(line);
        for secret in [
            "AKIA0000100000000330",
            "wJalr/XUtn+FEMI",
            "IQoJb3JpZ2lu",
            "FwoGZX%2Bz",
            "aHR0cHM6Ly9zdHM",
            "ASIAABCDEFGHIJKLMNOP",
        ] {
            assert!(!out.contains(secret), "{secret}: {out}");
        }
        assert!(out.contains("X-Amz-Date=2026"), "{out}");
        assert!(out.contains("identity=Credentials {"), "{out}");
        // Nothing to hide: the line as it was.
        let plain = "CloudWatch alarms failed: no authorization header";
        assert_eq!(redact(plain), plain);
        assert!(matches!(redact("polled 3 alarms"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_caps_hold_under_trace() {
        let f = filter("trace").to_string();
        assert!(
            f.contains("aws_sigv4=info") && f.contains("aws_smithy_runtime=info"),
            "{f}"
        );
    }
}
