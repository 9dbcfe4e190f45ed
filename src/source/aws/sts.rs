//! Who the scope's AWS credentials are: STS GetCallerIdentity. For an EKS cluster reached
//! natively the cluster authenticates us by exactly these credentials (the token is a presigned
//! GetCallerIdentity), so the ARN STS returns is the identity approvals and audit Events name.

use super::health::{Failure, classify, describe};

/// What the errors name.
pub const WHAT: &str = "STS GetCallerIdentity";

/// The caller's ARN (`arn:aws:sts::123456789012:assumed-role/ops/lee`, `arn:aws:iam::…:user/…`),
/// or what failed, starting with `STS GetCallerIdentity`. `profile` names the refresh command
/// when the credentials expired.
pub async fn caller_arn(
    client: &aws_sdk_sts::Client,
    profile: Option<&str>,
) -> Result<String, String> {
    let answer = client
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| classify(&e, "sts:GetCallerIdentity"))
        .and_then(|out| arn_of(out.arn()));
    answer.map_err(|f| explain(&f, profile))
}

/// An answer without an ARN says nobody: never a guess.
fn arn_of(arn: Option<&str>) -> Result<String, Failure> {
    arn.map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .ok_or_else(|| Failure::Other("the answer named no ARN".into()))
}

/// The failure in the console's words, always naming the call.
fn explain(failure: &Failure, profile: Option<&str>) -> String {
    let why = describe(failure, WHAT, profile, None);
    if why.starts_with(WHAT) {
        why
    } else {
        format!("{WHAT}: {why}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_without_an_arn_is_a_failure() {
        assert_eq!(
            arn_of(Some("arn:aws:iam::123456789012:user/lee")),
            Ok("arn:aws:iam::123456789012:user/lee".into())
        );
        assert!(matches!(arn_of(None), Err(Failure::Other(_))));
        assert!(matches!(arn_of(Some("  ")), Err(Failure::Other(_))));
    }

    #[test]
    fn every_failure_names_the_call() {
        let denied = explain(&Failure::AccessDenied("AccessDenied: no".into()), None);
        assert_eq!(
            denied,
            "STS GetCallerIdentity: access denied (AccessDenied: no)"
        );
        let expired = explain(&Failure::Expired("SSO token expired".into()), Some("prod"));
        assert!(
            expired.starts_with("STS GetCallerIdentity: AWS credentials of profile prod expired"),
            "{expired}"
        );
        assert!(
            expired.contains("aws sso login --profile prod"),
            "{expired}"
        );
        let gone = explain(&Failure::Unreachable("connection refused".into()), None);
        assert!(
            gone.starts_with("STS GetCallerIdentity: AWS unreachable"),
            "{gone}"
        );
    }
}
