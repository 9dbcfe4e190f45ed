//! Data sources ("collectors"). Each runs in its own task and sends owned `SourceUpdate`s to the
//! console over its channel; none of them knows about the terminal.

pub mod aws;
pub mod demo;
pub mod kube;
