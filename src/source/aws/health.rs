//! AWS failures in the console's terms: throttled (retry with backoff), access denied (this panel
//! says so, the rest works), expired credentials (a banner naming the command that refreshes
//! them), unreachable (this region only). Pure, apart from the `classify` adapter for SDK errors.

use aws_sdk_cloudwatch::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_smithy_runtime_api::client::result::SdkError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Rate exceeded: retried with backoff.
    Throttled(String),
    /// The credentials may not call this API.
    AccessDenied(String),
    /// The credentials (or the SSO session behind them) expired.
    Expired(String),
    /// No answer: connection refused, DNS, timeout.
    Unreachable(String),
    Other(String),
}

const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
];
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedException",
];
const EXPIRED: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
];

/// Classify from an error code (when the service answered) and the whole error text.
pub fn classify_parts(code: Option<&str>, message: &str, dispatch: bool) -> Failure {
    let text = message.to_string();
    if let Some(code) = code {
        if THROTTLING.contains(&code) {
            return Failure::Throttled(text);
        }
        if DENIED.contains(&code) {
            return Failure::AccessDenied(text);
        }
        if EXPIRED.contains(&code) {
            return Failure::Expired(text);
        }
    }
    let lower = message.to_ascii_lowercase();
    // The SSO credential provider's own errors (no request was sent).
    if lower.contains("sso")
        && (lower.contains("expired") || lower.contains("refresh") || lower.contains("token"))
        || lower.contains("token has expired")
        || lower.contains("session has expired")
    {
        return Failure::Expired(text);
    }
    if dispatch {
        return Failure::Unreachable(text);
    }
    Failure::Other(text)
}

/// Classify an SDK error of any service.
pub fn classify<E, R>(err: &SdkError<E, R>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let text = short(&DisplayErrorContext(err).to_string());
    let dispatch = matches!(
        err,
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)
    );
    let code = err.code();
    let message = match (code, err.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        _ => text.clone(),
    };
    let mut failure = classify_parts(code, &text, dispatch);
    // The service's own words read better than the SDK's nested context.
    if code.is_some() {
        failure = match failure {
            Failure::Throttled(_) => Failure::Throttled(message),
            Failure::AccessDenied(_) => Failure::AccessDenied(message),
            Failure::Expired(_) => Failure::Expired(message),
            Failure::Other(_) => Failure::Other(message),
            f => f,
        };
    }
    failure
}

/// Classify a credentials provider's error (no request was sent: e.g. an expired SSO session).
pub fn classify_credentials(
    err: &aws_credential_types::provider::error::CredentialsError,
) -> Failure {
    let text = short(&DisplayErrorContext(err).to_string());
    match classify_parts(None, &text, false) {
        Failure::Other(t) => Failure::Expired(t),
        f => f,
    }
}

/// Errors can be long (the SDK nests its context); a status line needs the gist.
fn short(text: &str) -> String {
    const MAX: usize = 300;
    if text.len() <= MAX {
        return text.to_string();
    }
    let cut = crate::hints::floor_char_boundary(text, MAX);
    format!("{}…", &text[..cut])
}

/// The command that refreshes a profile's credentials: `aws sso login --profile P` for SSO
/// profiles (or when we cannot tell), `aws configure --profile P` for key-based ones.
/// `aws_config` is the text of the AWS config file, when readable.
pub fn refresh_command(profile: Option<&str>, aws_config: Option<&str>) -> String {
    let name = profile.unwrap_or("default");
    let flag = profile.map_or(String::new(), |p| format!(" --profile {p}"));
    let keys = aws_config.map(|text| profile_keys(text, name));
    match keys {
        Some(Some(keys)) if !keys.iter().any(|k| k.starts_with("sso_")) => {
            if keys.iter().any(|k| k == "credential_process") {
                format!("refresh the credential_process of profile {name}")
            } else if keys.iter().any(|k| k == "role_arn") {
                format!("refresh the source profile of {name} (it assumes a role)")
            } else {
                format!("aws configure{flag}")
            }
        }
        _ => format!("aws sso login{flag}"),
    }
}

/// The keys of `[profile NAME]` (or `[default]`) in an AWS config file; None: no such profile.
fn profile_keys(text: &str, name: &str) -> Option<Vec<String>> {
    let wanted = |header: &str| {
        let h = header.trim();
        h == format!("profile {name}") || (name == "default" && h == "default")
    };
    let mut keys = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            if keys.is_some() {
                break;
            }
            if wanted(header) {
                keys = Some(Vec::new());
            }
        } else if let Some(keys) = keys.as_mut()
            && let Some((k, _)) = line.split_once('=')
        {
            keys.push(k.trim().to_string());
        }
    }
    keys
}

/// The AWS config file's text: `$AWS_CONFIG_FILE` or `~/.aws/config`.
pub fn read_aws_config() -> Option<String> {
    let path = std::env::var_os("AWS_CONFIG_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".aws/config"))
        })?;
    std::fs::read_to_string(path).ok()
}

/// What the user reads in the header and panels for a failure.
/// `aws_config` is the AWS config file's text (see `read_aws_config`), to name the right command.
pub fn describe(
    failure: &Failure,
    what: &str,
    profile: Option<&str>,
    aws_config: Option<&str>,
) -> String {
    match failure {
        Failure::Throttled(why) => format!("{what}: throttled by AWS, retrying ({why})"),
        Failure::AccessDenied(why) => format!("{what}: access denied ({why})"),
        Failure::Expired(why) => format!(
            "AWS credentials{} expired: run `{}` ({why})",
            profile.map_or(String::new(), |p| format!(" of profile {p}")),
            refresh_command(profile, aws_config)
        ),
        Failure::Unreachable(why) => format!("{what}: AWS unreachable ({why})"),
        Failure::Other(why) => format!("{what}: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_decide_first() {
        assert!(matches!(
            classify_parts(Some("ThrottlingException"), "Rate exceeded", false),
            Failure::Throttled(_)
        ));
        assert!(matches!(
            classify_parts(Some("AccessDeniedException"), "not authorized", false),
            Failure::AccessDenied(_)
        ));
        assert!(matches!(
            classify_parts(Some("ExpiredTokenException"), "expired", false),
            Failure::Expired(_)
        ));
        assert!(matches!(
            classify_parts(None, "dispatch failure: connection refused", true),
            Failure::Unreachable(_)
        ));
        assert!(matches!(
            classify_parts(Some("ValidationException"), "bad", false),
            Failure::Other(_)
        ));
    }

    #[test]
    fn an_expired_sso_session_is_recognised_without_a_code() {
        let text = "failed to load credentials: the SSO session has expired or is invalid";
        assert!(matches!(
            classify_parts(None, text, true),
            Failure::Expired(_)
        ));
    }

    #[test]
    fn the_refresh_command_depends_on_the_profile_kind() {
        let config = "[default]\nregion = us-east-1\n\n[profile prod-admin]\nsso_session = acme\n\
                      sso_account_id = 333333333333\n\n[profile ci]\naws_access_key_id = x\n\n\
                      [profile proc]\ncredential_process = /bin/creds\n";
        assert_eq!(
            refresh_command(Some("prod-admin"), Some(config)),
            "aws sso login --profile prod-admin"
        );
        assert_eq!(
            refresh_command(Some("ci"), Some(config)),
            "aws configure --profile ci"
        );
        assert_eq!(
            refresh_command(Some("proc"), Some(config)),
            "refresh the credential_process of profile proc"
        );
        assert_eq!(refresh_command(None, Some(config)), "aws configure");
        // Unknown profile, or no config file: SSO is the usual case on bastions.
        assert_eq!(
            refresh_command(Some("other"), Some(config)),
            "aws sso login --profile other"
        );
        assert_eq!(
            refresh_command(Some("x"), None),
            "aws sso login --profile x"
        );
    }
}
