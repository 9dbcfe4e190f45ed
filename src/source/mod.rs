//! Data sources ("collectors"). Each runs in its own task and sends owned `SourceUpdate`s to the
//! console over its channel; none of them knows about the terminal.

pub mod aws;
pub mod demo;
pub mod job;
pub mod kube;
pub mod refresh;

pub use job::{ActionJob, Reply};

/// `User-Agent` of every Kubernetes request, so a cluster's audit log tells opsdeck's reads and
/// writes apart from kubectl's.
pub const USER_AGENT: &str = concat!("opsdeck/", env!("CARGO_PKG_VERSION"));

/// The AWS SDK's app name (`app/opsdeck-<version>` in every request's `x-amz-user-agent`, as
/// CloudTrail records it). An app name allows no `/`.
pub const AWS_APP_NAME: &str = concat!("opsdeck-", env!("CARGO_PKG_VERSION"));
