//! Reading and parsing a config file: I/O and encoding errors, TOML syntax, the config's shape,
//! then the semantic rules. Every failure becomes a located [`Problem`].

use super::diagnostic::{ConfigError, Problem, locate_span};
use super::locate::ConfigOrigin;
use super::model::Config;
use super::{translate, validate};
use std::io::ErrorKind;
use std::path::Path;
use toml::de::DeTable;

/// Loads and validates the config file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    load_with_hint(
        path,
        "check the path given with --config or $OPSDECK_CONFIG",
    )
}

/// Loads the file [`locate`](super::locate) picked; a missing file's hint names who asked for it.
pub fn load_origin(origin: &ConfigOrigin) -> Result<Config, ConfigError> {
    let hint = match origin {
        ConfigOrigin::Flag(_) => "check the path passed to --config, or drop the flag",
        ConfigOrigin::Env(_) => "check $OPSDECK_CONFIG, or unset it",
        ConfigOrigin::Platform(_) => "create it (see `opsdeck check-config`), or remove it",
    };
    load_with_hint(origin.path(), hint)
}

fn load_with_hint(path: &Path, not_found_hint: &str) -> Result<Config, ConfigError> {
    let file = path.display().to_string();
    let text = read_text(path, &file, not_found_hint)?;
    parse(&text, &file)
}

/// Parses and validates config text; `file_label` names it in messages.
pub fn parse(text: &str, file_label: &str) -> Result<Config, ConfigError> {
    // Parse with spans first: syntax errors (all of them), and positions for later messages.
    let (root, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        let problems = errors
            .iter()
            .map(|e| translate::syntax_problem(file_label, text, e))
            .collect();
        return Err(ConfigError { problems });
    }
    let config: Config = toml::from_str(text).map_err(|e| {
        ConfigError::single(translate::schema_problem(
            file_label,
            text,
            root.get_ref(),
            &e,
        ))
    })?;
    let problems = validate::check(&config, root.get_ref(), text, file_label);
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(ConfigError { problems })
    }
}

fn read_text(path: &Path, file: &str, not_found_hint: &str) -> Result<String, ConfigError> {
    read_bytes_as_text(path, file, not_found_hint).map_err(|p| ConfigError::single(*p))
}

// Boxed: a `Problem` is large and this is the cold path.
fn read_bytes_as_text(
    path: &Path,
    file: &str,
    not_found_hint: &str,
) -> Result<String, Box<Problem>> {
    // Checked first: reading a directory fails with a less helpful error on some platforms.
    if path.is_dir() {
        return Err(Box::new(Problem::file_level(
            file,
            "this is a directory, not a config file",
            format!(
                "point to the file inside it, e.g. {}",
                path.join("config.toml").display()
            ),
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Box::new(io_problem(file, &e, not_found_hint)))?;
    String::from_utf8(bytes).map_err(|e| {
        // Point at the first bad byte; everything before it is valid UTF-8.
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line_end = bytes[valid..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| valid + i);
        let lossy = String::from_utf8_lossy(&bytes[..line_end]);
        let (line, col, snippet) = locate_span(&lossy, valid..valid + 1);
        Box::new(Problem {
            file: file.to_string(),
            line: Some(line),
            col: Some(col),
            message: format!("the file is not valid UTF-8 (byte 0x{:02x})", bytes[valid]),
            hint: "TOML files must be UTF-8; re-save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)"
                .into(),
            snippet: Some(snippet),
        })
    })
}

/// What a failed read means for the user, and how to fix it.
pub(crate) fn io_problem(file: &str, e: &std::io::Error, not_found_hint: &str) -> Problem {
    match e.kind() {
        ErrorKind::NotFound => {
            Problem::file_level(file, "config file not found", not_found_hint.to_string())
        }
        ErrorKind::PermissionDenied => Problem::file_level(
            file,
            "permission denied reading the config file",
            format!("make it readable for this user, e.g. `chmod u+r {file}`"),
        ),
        _ => Problem::file_level(
            file,
            format!("cannot read the config file: {e}"),
            "check that it exists and is a readable file",
        ),
    }
}

#[cfg(test)]
mod io_tests {
    use super::*;

    // Tests run as root here, where chmod 000 does not stop a read: check the mapping directly.
    #[test]
    fn permission_denied_says_so_and_how_to_fix_it() {
        let e = std::io::Error::from(ErrorKind::PermissionDenied);
        let text = ConfigError::single(io_problem("/etc/opsdeck.toml", &e, "")).to_string();
        assert!(text.contains("/etc/opsdeck.toml"), "{text}");
        assert!(text.contains("permission denied"), "{text}");
        assert!(text.contains("chmod u+r /etc/opsdeck.toml"), "{text}");
    }
}
