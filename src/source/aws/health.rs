//! AWS failures in the console's terms: throttled (retry with backoff), access denied on a named
//! API call (this panel says so, the rest works), expired credentials (a banner naming the
//! command that refreshes them), invalid credentials (what to check: no login fixes a wrong
//! key), a configuration error (an unknown profile, no credentials at all), a resource that does
//! not exist, unreachable (this region only). Pure, apart from the `classify` adapter for SDK
//! errors.

use aws_sdk_cloudwatch::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_smithy_runtime_api::client::result::SdkError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Rate exceeded: retried with backoff.
    Throttled(String),
    /// The credentials may not call this API (the text names the call: `AccessDenied on
    /// cloudwatch:DescribeAlarms: …`).
    AccessDenied(String),
    /// The credentials (or the SSO session behind them) expired.
    Expired(String),
    /// AWS does not know the key, or the signature does not match the secret: a wrong or
    /// deleted key, not an expired session.
    InvalidCredentials(String),
    /// The AWS configuration cannot give credentials: the profile is not defined, or no
    /// credentials exist at all. No retry fixes it.
    Config(String),
    /// The named resource does not exist (e.g. an `eks_cluster` not in its region).
    NotFound(String),
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
const EXPIRED: &[&str] = &["ExpiredToken", "ExpiredTokenException"];
const INVALID: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "InvalidSignatureException",
    "IncompleteSignature",
    "AuthFailure",
];
const NOT_FOUND: &[&str] = &[
    "ResourceNotFoundException",
    "ResourceNotFound",
    "NotFoundException",
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
        if INVALID.contains(&code) {
            return Failure::InvalidCredentials(text);
        }
        if NOT_FOUND.contains(&code) {
            return Failure::NotFound(text);
        }
        if code == "RequestExpired" {
            // The request's signing time is too far from AWS's clock: not the credentials.
            return Failure::Other(format!(
                "{text} (the signing time is off: check this host's clock)"
            ));
        }
    }
    let lower = message.to_ascii_lowercase();
    // The credential chain's own errors (no request was sent): an unknown profile, or none of
    // the chain's providers had credentials. Checked before "dispatch": they are not network.
    if lower.contains("was not defined")
        || lower.contains("could not be built")
        || lower.contains("no providers in chain provided credentials")
        || lower.contains("profile file provider could not")
    {
        return Failure::Config(text);
    }
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

/// Classify an SDK error of any service. `call` names the API call as IAM does
/// (`cloudwatch:DescribeAlarms`): a denial says which permission is missing.
pub fn classify<E, R>(err: &SdkError<E, R>, call: &str) -> Failure
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
            Failure::InvalidCredentials(_) => Failure::InvalidCredentials(message),
            Failure::NotFound(_) => Failure::NotFound(message),
            Failure::Other(t) if t.contains("check this host's clock") => Failure::Other(t),
            Failure::Other(_) => Failure::Other(message),
            f => f,
        };
    }
    name_the_call(failure, call)
}

/// A denial names the call it was for: `AccessDenied on ce:GetCostAndUsage: …`.
pub fn name_the_call(failure: Failure, call: &str) -> Failure {
    match failure {
        Failure::AccessDenied(why) if !why.contains(&format!("on {call}")) => {
            let why = why
                .strip_prefix("AccessDeniedException: ")
                .or_else(|| why.strip_prefix("AccessDenied: "))
                .unwrap_or(&why);
            Failure::AccessDenied(format!("AccessDenied on {call}: {why}"))
        }
        f => f,
    }
}

/// Classify a credentials provider's error (no request was sent: e.g. an expired SSO session).
pub fn classify_credentials(
    err: &aws_credential_types::provider::error::CredentialsError,
) -> Failure {
    use aws_credential_types::provider::error::CredentialsError;
    let text = short(&DisplayErrorContext(err).to_string());
    match classify_parts(None, &text, false) {
        // A chain that found nothing, or a profile it cannot use: configuration, not expiry.
        Failure::Other(t)
            if matches!(
                err,
                CredentialsError::CredentialsNotLoaded(_)
                    | CredentialsError::InvalidConfiguration(_)
            ) =>
        {
            Failure::Config(t)
        }
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
    std::fs::read_to_string(aws_config_path()?).ok()
}

/// `$AWS_CONFIG_FILE`, else `~/.aws/config`.
pub fn aws_config_path() -> Option<std::path::PathBuf> {
    aws_file("AWS_CONFIG_FILE", "config")
}

/// `$AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
pub fn aws_credentials_path() -> Option<std::path::PathBuf> {
    aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials")
}

fn aws_file(var: &str, name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".aws").join(name))
        })
}

pub use crate::config::aws_profiles::profile_defined;

/// Where a rejected key comes from, so the user knows what to check.
fn what_to_check(profile: Option<&str>) -> String {
    let env = "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN in the environment \
               (they win over any profile)";
    match profile {
        Some(p) => format!(
            "{env}, then aws_access_key_id / aws_secret_access_key of profile {p} in \
             ~/.aws/credentials or ~/.aws/config, and that the key is active in IAM"
        ),
        None => format!(
            "{env}, then the default profile in ~/.aws/credentials, and that the key is \
             active in IAM"
        ),
    }
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
        Failure::InvalidCredentials(why) => format!(
            "{what}: invalid AWS credentials{}: AWS does not accept the access key or its \
             secret; check {} ({why})",
            profile.map_or(String::new(), |p| format!(" of profile {p}")),
            what_to_check(profile)
        ),
        Failure::Config(why) => match profile {
            Some(p) => format!(
                "{what}: AWS profile `{p}` cannot be used: check that it is defined in \
                 ~/.aws/config or ~/.aws/credentials ($AWS_CONFIG_FILE, \
                 $AWS_SHARED_CREDENTIALS_FILE) and that aws_profile names it ({why})"
            ),
            None => format!(
                "{what}: no AWS credentials: set a profile (aws_profile), \
                 AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run on a host with a role ({why})"
            ),
        },
        Failure::NotFound(why) => format!("{what}: not found ({why})"),
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
    fn an_invalid_key_is_not_an_expired_session() {
        for code in [
            "InvalidClientTokenId",
            "UnrecognizedClientException",
            "SignatureDoesNotMatch",
        ] {
            let f = classify_parts(Some(code), "The security token is invalid", false);
            assert!(matches!(f, Failure::InvalidCredentials(_)), "{code}: {f:?}");
            let text = describe(&f, "CloudWatch alarms", Some("ci"), None);
            assert!(
                text.contains("invalid AWS credentials of profile ci"),
                "{text}"
            );
            assert!(text.contains("AWS_ACCESS_KEY_ID"), "{text}");
            assert!(text.contains("profile ci in ~/.aws/credentials"), "{text}");
            assert!(!text.contains("sso login"), "{text}");
            assert!(!text.contains("expired"), "{text}");
        }
        // Only an expired token names the login.
        let f = classify_parts(Some("ExpiredToken"), "expired", false);
        let text = describe(&f, "x", Some("prod"), None);
        assert!(
            text.contains("run `aws sso login --profile prod`"),
            "{text}"
        );
        // A clock that is off is neither.
        let f = classify_parts(Some("RequestExpired"), "Request has expired", false);
        assert!(
            matches!(&f, Failure::Other(t) if t.contains("clock")),
            "{f:?}"
        );
    }

    #[test]
    fn an_unknown_profile_is_a_config_error_not_unreachable() {
        let text = "dispatch failure: other: ProfileFile provider could not be built: profile \
                    `nope` was not defined: could not find source profile nope";
        let f = classify_parts(None, text, true);
        assert!(matches!(f, Failure::Config(_)), "{f:?}");
        let said = describe(&f, "CloudWatch alarms", Some("nope"), None);
        assert!(said.contains("AWS profile `nope` cannot be used"), "{said}");
        let none = "dispatch failure: other: no providers in chain provided credentials";
        assert!(matches!(
            classify_parts(None, none, true),
            Failure::Config(_)
        ));
    }

    #[test]
    fn a_denial_names_the_call() {
        let f = name_the_call(
            Failure::AccessDenied("AccessDeniedException: User: x is not authorized".into()),
            "cloudwatch:DescribeAlarms",
        );
        assert_eq!(
            f,
            Failure::AccessDenied(
                "AccessDenied on cloudwatch:DescribeAlarms: User: x is not authorized".into()
            )
        );
        // Named once only.
        assert_eq!(name_the_call(f.clone(), "cloudwatch:DescribeAlarms"), f);
    }

    #[test]
    fn a_missing_resource_is_not_found() {
        assert!(matches!(
            classify_parts(Some("ResourceNotFoundException"), "No cluster found", false),
            Failure::NotFound(_)
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
