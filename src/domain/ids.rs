//! Typed names and the cluster id they make: an environment, a region and a cluster name, each
//! checked once (not empty, no '/', no control character), and `ClusterId { env, region, name }`
//! written `env/region/name`. A part can never hold a '/', so the written form splits back into
//! exactly the parts it was made of.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

/// Which name a [`NameError`] is about, for its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Environment,
    Region,
    Cluster,
}

impl NameKind {
    fn label(self) -> &'static str {
        match self {
            NameKind::Environment => "environment",
            NameKind::Region => "region",
            NameKind::Cluster => "cluster",
        }
    }
}

/// What is wrong with a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    /// Empty, or only spaces.
    Empty,
    /// A '/': it separates the parts of `env/region/name`.
    Slash,
    /// A control character (a newline, an escape), which would reach the terminal.
    Control(char),
}

/// A name that cannot be an environment, region or cluster name, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    pub kind: NameKind,
    pub name: String,
    pub problem: NameProblem,
}

impl NameError {
    /// How to fix it, in a sentence (config diagnostics show it as the hint).
    pub fn fix(&self) -> String {
        match self.problem {
            NameProblem::Empty => format!("give the {} a name", self.kind.label()),
            NameProblem::Slash => format!(
                "use '-' instead, e.g. `{}`: the name is one part of a cluster's id \
                 `env/region/name`",
                self.name.replace('/', "-")
            ),
            NameProblem::Control(c) => {
                format!("remove the control character U+{:04X}", c as u32)
            }
        }
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind.label();
        // Debug-quoted: the name may hold the very control character being reported.
        match self.problem {
            NameProblem::Empty => write!(f, "the {kind} name is empty"),
            NameProblem::Slash => write!(f, "{kind} name {:?} contains '/'", self.name),
            NameProblem::Control(c) => write!(
                f,
                "{kind} name {:?} contains a control character (U+{:04X})",
                self.name, c as u32
            ),
        }
    }
}

impl std::error::Error for NameError {}

fn check(kind: NameKind, name: &str) -> Result<(), NameError> {
    let problem = if name.trim().is_empty() {
        Some(NameProblem::Empty)
    } else if name.contains('/') {
        Some(NameProblem::Slash)
    } else {
        name.chars()
            .find(|c| c.is_control())
            .map(NameProblem::Control)
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(NameError {
            kind,
            name: name.to_string(),
            problem,
        }),
    }
}

macro_rules! name_type {
    ($(#[$doc:meta])* $ty:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $ty(String);

        impl $ty {
            /// The name, if it is one (not empty, no '/', no control character).
            pub fn new(name: impl Into<String>) -> Result<$ty, NameError> {
                let name = name.into();
                check($kind, &name)?;
                Ok($ty(name))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $ty {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $ty {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $ty {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                $ty::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }
    };
}

name_type!(
    /// An environment's name, e.g. `prod`: the overview's row label, the first part of a
    /// cluster's id, what read-only and policy are configured for.
    EnvName,
    NameKind::Environment
);
name_type!(
    /// An AWS region (or any column of the overview), e.g. `eu-west-1`.
    RegionName,
    NameKind::Region
);
name_type!(
    /// A cluster's display name, unique within its environment, e.g. `prod-euw1`.
    ClusterName,
    NameKind::Cluster
);

/// Stable identity of a cluster, written `env/region/name` (its serde form too: snapshots,
/// JSON output and the audit log hold that string).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterId {
    pub env: EnvName,
    pub region: RegionName,
    pub name: ClusterName,
}

impl ClusterId {
    pub fn new(env: EnvName, region: RegionName, name: ClusterName) -> ClusterId {
        ClusterId { env, region, name }
    }

    /// The id of these names, if each is one.
    pub fn parse(env: &str, region: &str, name: &str) -> Result<ClusterId, NameError> {
        Ok(ClusterId {
            env: EnvName::new(env)?,
            region: RegionName::new(region)?,
            name: ClusterName::new(name)?,
        })
    }

    /// The bytes of the written form `env/region/name`, without writing it (ids are map keys:
    /// comparing them must not allocate).
    fn written_bytes(&self) -> impl Iterator<Item = u8> + '_ {
        let slash = || std::iter::once(b'/');
        self.env
            .bytes()
            .chain(slash())
            .chain(self.region.bytes())
            .chain(slash())
            .chain(self.name.bytes())
    }
}

/// Ordered as the written `env/region/name` strings are (the order lists and the JSON snapshot
/// have always had), not part by part: `prod-eu/…` sorts before `prod/…` ('-' < '/').
impl Ord for ClusterId {
    fn cmp(&self, other: &ClusterId) -> Ordering {
        self.written_bytes().cmp(other.written_bytes())
    }
}

impl PartialOrd for ClusterId {
    fn partial_cmp(&self, other: &ClusterId) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ClusterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.env, self.region, self.name)
    }
}

/// Why a written cluster id does not read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterIdError {
    /// Not three parts separated by '/'.
    Parts(String),
    Name(NameError),
}

impl fmt::Display for ClusterIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterIdError::Parts(s) => {
                write!(f, "cluster id {s:?} is not `env/region/name`")
            }
            ClusterIdError::Name(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ClusterIdError {}

impl std::str::FromStr for ClusterId {
    type Err = ClusterIdError;
    fn from_str(s: &str) -> Result<ClusterId, ClusterIdError> {
        let mut parts = s.split('/');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(env), Some(region), Some(name), None) => {
                ClusterId::parse(env, region, name).map_err(ClusterIdError::Name)
            }
            _ => Err(ClusterIdError::Parts(s.to_string())),
        }
    }
}

impl Serialize for ClusterId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClusterId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ClusterId, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(env: &str, region: &str, name: &str) -> ClusterId {
        ClusterId::parse(env, region, name).unwrap()
    }

    #[test]
    fn a_name_is_not_empty_and_holds_no_slash_or_control_character() {
        assert_eq!(EnvName::new("prod").unwrap().as_str(), "prod");
        assert_eq!(
            ClusterName::new("prod-euw1 (old)").unwrap(),
            "prod-euw1 (old)"
        );
        let problem = |r: Result<EnvName, NameError>| r.unwrap_err().problem;
        assert_eq!(problem(EnvName::new("")), NameProblem::Empty);
        assert_eq!(problem(EnvName::new("  ")), NameProblem::Empty);
        assert_eq!(problem(EnvName::new("prod/eu")), NameProblem::Slash);
        assert_eq!(problem(EnvName::new("prod\n")), NameProblem::Control('\n'));
        assert_eq!(
            problem(EnvName::new("pr\u{1b}[31mod")),
            NameProblem::Control('\u{1b}')
        );
        let e = RegionName::new("eu/west").unwrap_err();
        assert_eq!(e.kind, NameKind::Region);
        assert_eq!(e.to_string(), "region name \"eu/west\" contains '/'");
        assert!(e.fix().contains("`eu-west`"), "{}", e.fix());
        let e = ClusterName::new("a\u{7}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "cluster name \"a\\u{7}\" contains a control character (U+0007)"
        );
        assert_eq!(e.fix(), "remove the control character U+0007");
    }

    #[test]
    fn the_written_id_reads_back_into_its_parts() {
        let a = id("prod", "eu-west-1", "prod-euw1");
        assert_eq!(a.to_string(), "prod/eu-west-1/prod-euw1");
        assert_eq!(
            "prod/eu-west-1/prod-euw1".parse::<ClusterId>(),
            Ok(a.clone())
        );
        assert_eq!(a.env, "prod");
        assert_eq!(a.region, "eu-west-1");
        assert_eq!(a.name, "prod-euw1");
        for bad in ["prod/eu-west-1", "prod/eu/west-1/x", "", "//", "prod//x"] {
            assert!(bad.parse::<ClusterId>().is_err(), "{bad:?} parsed");
        }
        // Where a string split on '/' guessed, the typed id cannot be built at all.
        assert_eq!(
            ClusterId::parse("prod/eu", "eu-west-1", "main")
                .unwrap_err()
                .problem,
            NameProblem::Slash
        );
    }

    #[test]
    fn the_serde_form_is_the_written_string() {
        let a = id("staging", "us-east-1", "stg");
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "\"staging/us-east-1/stg\"");
        assert_eq!(serde_json::from_str::<ClusterId>(&json).unwrap(), a);
        let err = serde_json::from_str::<ClusterId>("\"a/b/c/d\"").unwrap_err();
        assert!(err.to_string().contains("not `env/region/name`"), "{err}");
        let env: EnvName = serde_json::from_str("\"prod\"").unwrap();
        assert_eq!(serde_json::to_string(&env).unwrap(), "\"prod\"");
        assert!(serde_json::from_str::<EnvName>("\"a/b\"").is_err());
    }

    #[test]
    fn ids_sort_as_their_written_form() {
        let mut ids = [
            id("prod", "us-east-1", "b"),
            id("prod-eu", "eu-west-1", "a"),
            id("prod", "us-east-1", "a"),
            id("prod", "us-east-1-x", "a"),
            id("dev", "us-east-1", "z"),
        ];
        ids.sort();
        let mut written: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let sorted = {
            let mut w = written.clone();
            w.sort();
            w
        };
        assert_eq!(written, sorted);
        written.dedup();
        assert_eq!(written.len(), 5);
        assert_eq!(ids[1].env, "prod-eu", "'-' sorts before '/'");
    }
}
