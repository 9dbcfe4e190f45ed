//! `opsdeck check-config` warns when an `aws_profile` (or `aws.cost_profile`) names a profile
//! that neither AWS file defines: the AWS SDK would fail every request of it. Pure: the files'
//! texts are read by the caller (`$AWS_CONFIG_FILE` / `~/.aws/config`,
//! `$AWS_SHARED_CREDENTIALS_FILE` / `~/.aws/credentials`).

use super::diagnostic::Problem;
use super::doc::{KeyPath, value_span};
use super::model::Config;
use std::fmt;
use toml::de::DeTable;

/// A problem that does not stop opsdeck (printed as `file:line:col: warning: …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning(pub Problem);

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        f.write_str(&text.replacen(": error: ", ": warning: ", 1))
    }
}

/// Whether `profile` is defined in the AWS config file (`[profile NAME]`, or `[default]`) or
/// the shared credentials file (`[NAME]`). Pure: the files' texts, when readable.
pub fn profile_defined(profile: &str, config: Option<&str>, credentials: Option<&str>) -> bool {
    let headers = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| {
                let l = l.split(['#', ';']).next().unwrap_or("").trim();
                l.strip_prefix('[')?
                    .strip_suffix(']')
                    .map(|h| h.trim().to_string())
            })
            .collect()
    };
    let in_config = config.is_some_and(|t| {
        headers(t).iter().any(|h| {
            h.strip_prefix("profile")
                .filter(|rest| rest.starts_with(char::is_whitespace))
                .map(str::trim)
                == Some(profile)
                || (profile == "default" && h == "default")
        })
    });
    let in_credentials = credentials.is_some_and(|t| headers(t).iter().any(|h| h == profile));
    in_config || in_credentials
}

/// The AWS files as the SDK finds them: where, and their text when readable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsFiles {
    pub config_path: Option<String>,
    pub config: Option<String>,
    pub credentials_path: Option<String>,
    pub credentials: Option<String>,
}

/// A warning for every configured profile neither file defines, at its value in `text`.
pub fn unknown_profiles(config: &Config, text: &str, file: &str, aws: &AwsFiles) -> Vec<Warning> {
    let mut named: Vec<(KeyPath, &str)> = Vec::new();
    let root = KeyPath::default();
    for (i, env) in config.environments.iter().enumerate() {
        let at = root.clone().key("environments").index(i);
        if let Some(p) = &env.aws_profile {
            named.push((at.clone().key("aws_profile"), p));
        }
        for (j, c) in env.clusters.iter().enumerate() {
            if let Some(p) = &c.aws_profile {
                named.push((at.clone().key("clusters").index(j).key("aws_profile"), p));
            }
        }
    }
    if let Some(p) = &config.aws.cost_profile {
        named.push((root.key("aws").key("cost_profile"), p));
    }
    if named.is_empty() || !config.aws.enabled {
        return Vec::new();
    }
    let doc = DeTable::parse(text).ok();
    let files = [&aws.config_path, &aws.credentials_path]
        .iter()
        .filter_map(|p| p.as_deref())
        .collect::<Vec<_>>()
        .join(" or ");
    named
        .into_iter()
        .filter(|(_, p)| !profile_defined(p, aws.config.as_deref(), aws.credentials.as_deref()))
        .map(|(path, p)| {
            let span = doc.as_ref().and_then(|d| value_span(d.get_ref(), &path));
            Warning(Problem::at(
                file,
                text,
                span,
                format!(
                    "AWS profile `{p}` is not defined in {}",
                    if files.is_empty() {
                        "the AWS config files"
                    } else {
                        &files
                    }
                ),
                format!(
                    "add `[profile {p}]` to the AWS config file (e.g. `aws configure sso \
                     --profile {p}`) or fix the name; its sources would fail"
                ),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_found_in_either_file() {
        let config = "[default]\nregion=x\n[profile prod-admin] # sso\nsso_session=a\n";
        let creds = "[ci]\naws_access_key_id=x\n";
        assert!(profile_defined("prod-admin", Some(config), None));
        assert!(profile_defined("default", Some(config), None));
        assert!(profile_defined("ci", None, Some(creds)));
        // `[ci]` in the config file is not a profile (it needs `[profile ci]`).
        assert!(!profile_defined("ci", Some("[ci]\n"), None));
        assert!(!profile_defined("prod", Some(config), Some(creds)));
        assert!(!profile_defined("prod", None, None));
    }

    #[test]
    fn an_unknown_profile_is_located_in_the_config() {
        let text = "regions = [\"eu-west-1\"]\n[[environments]]\nname = \"prod\"\n\
                    aws_profile = \"acme-prod\"\n[[environments.clusters]]\nname = \"a\"\n\
                    region = \"eu-west-1\"\naws_profile = \"acme-typo\"\n";
        let config = crate::config::parse(text, "o.toml").unwrap();
        let aws = AwsFiles {
            config_path: Some("/h/.aws/config".into()),
            config: Some("[profile acme-prod]\nsso_session = x\n".into()),
            credentials_path: Some("/h/.aws/credentials".into()),
            credentials: None,
        };
        let w = unknown_profiles(&config, text, "o.toml", &aws);
        assert_eq!(w.len(), 1, "{w:?}");
        let said = w[0].to_string();
        assert!(said.starts_with("o.toml:8:15: warning: AWS profile `acme-typo` is not defined in /h/.aws/config or /h/.aws/credentials"), "{said}");
    }
}
