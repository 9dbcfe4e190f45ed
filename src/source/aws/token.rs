//! The EKS bearer token, built in-process (no `aws` binary): `k8s-aws-v1.` + base64url (no
//! padding) of a presigned STS GetCallerIdentity URL whose signed headers include
//! `x-k8s-aws-id: <cluster>`, exactly as `aws eks get-token` makes it. The API server's
//! authenticator accepts it for 15 minutes; callers refresh it after `REFRESH_AFTER`.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use base64::Engine;
use std::time::{Duration, SystemTime};

/// Tokens are valid for 15 minutes; a new one is made after 10.
pub const REFRESH_AFTER: Duration = Duration::from_secs(10 * 60);

/// The STS endpoint the URL is presigned for: the regional one unless configured.
pub fn sts_url(region: &str, endpoint: Option<&str>) -> String {
    match endpoint {
        Some(e) => e.trim_end_matches('/').to_string(),
        None => format!("https://sts.{region}.amazonaws.com"),
    }
}

/// The token for `cluster`, signed with `credentials` for `region` at `time`.
pub fn eks_token(
    credentials: &Credentials,
    region: &str,
    cluster: &str,
    sts_endpoint: &str,
    time: SystemTime,
) -> Result<String, String> {
    let url = presigned_url(credentials, region, cluster, sts_endpoint, time)?;
    Ok(format!(
        "k8s-aws-v1.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url)
    ))
}

/// The presigned GetCallerIdentity URL (valid 60 s for STS; EKS accepts the token 15 min).
pub fn presigned_url(
    credentials: &Credentials,
    region: &str,
    cluster: &str,
    sts_endpoint: &str,
    time: SystemTime,
) -> Result<String, String> {
    let url = format!("{sts_endpoint}/?Action=GetCallerIdentity&Version=2011-06-15");
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(60));
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| format!("signing parameters: {e}"))?
        .into();
    let headers = [("x-k8s-aws-id", cluster)];
    let signable = SignableRequest::new(
        "GET",
        &url,
        headers.iter().copied(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| format!("signable request: {e}"))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| format!("signing: {e}"))?
        .into_parts();
    let mut request = http::Request::builder()
        .method("GET")
        .uri(&url)
        .header("x-k8s-aws-id", cluster)
        .body(())
        .map_err(|e| format!("request: {e}"))?;
    instructions.apply_to_request_http1x(&mut request);
    Ok(request.uri().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "test",
        )
    }

    fn at() -> SystemTime {
        // 2026-11-21T14:30:00Z
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_271_400)
    }

    /// Made by botocore exactly as `aws eks get-token` makes it (the presigner with the
    /// `x-k8s-aws-id` header injected before signing), for the same credentials, region, cluster
    /// and time (see docs/aws.md).
    const KNOWN_GOOD_URL: &str = "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261121%2Feu-west-1%2Fsts%2Faws4_request&X-Amz-Date=20261121T143000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=52e60257d1e6fa7911fee6e645cb493f14502dca44ec7efdd555214045fab673";
    const KNOWN_GOOD_TOKEN: &str = "k8s-aws-v1.aHR0cHM6Ly9zdHMuZXUtd2VzdC0xLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BS0lERVhBTVBMRSUyRjIwMjYxMTIxJTJGZXUtd2VzdC0xJTJGc3RzJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyNjExMjFUMTQzMDAwWiZYLUFtei1FeHBpcmVzPTYwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCUzQngtazhzLWF3cy1pZCZYLUFtei1TaWduYXR1cmU9NTJlNjAyNTdkMWU2ZmE3OTExZmVlNmU2NDVjYjQ5M2YxNDUwMmRjYTQ0ZWM3ZWZkZDU1NTIxNDA0NWZhYjY3Mw";

    #[test]
    fn the_token_matches_aws_eks_get_token_byte_for_byte() {
        let sts = sts_url("eu-west-1", None);
        let url = presigned_url(&creds(), "eu-west-1", "prod-euw1", &sts, at()).unwrap();
        assert_eq!(url, KNOWN_GOOD_URL);
        let token = eks_token(&creds(), "eu-west-1", "prod-euw1", &sts, at()).unwrap();
        assert_eq!(token, KNOWN_GOOD_TOKEN);
    }

    #[test]
    fn the_token_is_base64url_of_the_presigned_url_without_padding() {
        let sts = sts_url("eu-west-1", None);
        let url = presigned_url(&creds(), "eu-west-1", "prod-euw1", &sts, at()).unwrap();
        let token = eks_token(&creds(), "eu-west-1", "prod-euw1", &sts, at()).unwrap();
        let body = token.strip_prefix("k8s-aws-v1.").unwrap();
        assert!(!body.contains('='));
        let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), url);
    }
}
