//! Colour themes: named semantic styles (`ok`, `critical`, `prod_label`, ...) loaded from TOML.
//!
//! The shipped themes in `themes/*.toml` are embedded in the binary. A user file
//! `<config_dir>/themes/NAME.toml` adds a theme or overrides a shipped one; it may set only some
//! slots. Unset slots come from the theme named by `extends`, else from the built-in theme of the
//! same name, else from the built-in `dark` theme. See `docs/themes.md`.
//!
//! `NO_COLOR` (see <https://no-color.org>) strips every colour but keeps modifiers, and makes sure
//! the selection, the PROD badge and critical states still stand out from plain text.

use crate::hints::{did_you_mean, line_col};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The theme used when none is configured.
pub const DEFAULT_THEME: &str = "dark";

/// The shipped themes, sorted by name, embedded so opsdeck stays one static binary.
const BUILTIN: &[(&str, &str)] = &[
    ("ansi16", include_str!("../themes/ansi16.toml")),
    ("dark", include_str!("../themes/dark.toml")),
    (
        "high-contrast",
        include_str!("../themes/high-contrast.toml"),
    ),
    ("light", include_str!("../themes/light.toml")),
    ("mono", include_str!("../themes/mono.toml")),
];

const BUILTIN_NAMES: &[&str] = &["ansi16", "dark", "high-contrast", "light", "mono"];

/// How deep `extends` chains may go before we assume a mistake.
const MAX_EXTENDS_DEPTH: usize = 8;

/// Every semantic style the UI draws with. Each slot is a complete [`Style`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// The name it was loaded by (the file name without `.toml`).
    pub name: String,
    /// One line from the theme file, for `--list-themes` and the palette.
    pub description: String,
    /// Default text and background.
    pub base: Style,
    /// Secondary text: hints, units, timestamps.
    pub muted: Style,
    /// Highlights: keys in hints, the active tab.
    pub accent: Style,
    /// Block and panel titles.
    pub title: Style,
    /// Block borders.
    pub border: Style,
    /// Header and footer bars.
    pub header: Style,
    /// Healthy.
    pub ok: Style,
    /// Degraded, needs attention.
    pub warn: Style,
    /// Failing, paging.
    pub critical: Style,
    /// Data older than `stale_after_secs`.
    pub stale: Style,
    /// Rows whose source's data is no longer current (stale, or failed after data): dimmed.
    pub stale_row: Style,
    /// Neutral information (in progress, unknown).
    pub info: Style,
    /// Emphasis for production environments, e.g. cell borders.
    pub prod: Style,
    /// The "PROD" badge.
    pub prod_label: Style,
    /// The selected row.
    pub selection: Style,
    /// Filter and palette input line.
    pub filter: Style,
    /// The read-only badge.
    pub read_only: Style,
    /// Filled part of capacity bars.
    pub bar_filled: Style,
    /// Empty part of capacity bars.
    pub bar_empty: Style,
}

/// The slot names as written in theme files, in declaration order.
pub const SLOT_NAMES: [&str; 19] = [
    "base",
    "muted",
    "accent",
    "title",
    "border",
    "header",
    "ok",
    "warn",
    "critical",
    "stale",
    "stale_row",
    "info",
    "prod",
    "prod_label",
    "selection",
    "filter",
    "read_only",
    "bar_filled",
    "bar_empty",
];

const COLOR_NAMES: &[(&str, Color)] = &[
    ("reset", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("darkgray", Color::DarkGray),
    ("lightred", Color::LightRed),
    ("lightgreen", Color::LightGreen),
    ("lightyellow", Color::LightYellow),
    ("lightblue", Color::LightBlue),
    ("lightmagenta", Color::LightMagenta),
    ("lightcyan", Color::LightCyan),
    ("white", Color::White),
];

const MODIFIER_NAMES: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
    ("crossed_out", Modifier::CROSSED_OUT),
];

/// `Some(&self.<slot>)` / `Some(&mut self.<slot>)` for a slot name; the field list is
/// written once here.
macro_rules! slot_match {
    ($self:ident, $name:expr, $kind:ident) => {
        slot_match!(@arms $kind, $self, $name,
            base muted accent title border header ok warn critical stale stale_row info prod prod_label
            selection filter read_only bar_filled bar_empty)
    };
    (@arms shared, $self:ident, $name:expr, $($field:ident)+) => {
        match $name {
            $(stringify!($field) => Some(&$self.$field),)+
            _ => None,
        }
    };
    (@arms exclusive, $self:ident, $name:expr, $($field:ident)+) => {
        match $name {
            $(stringify!($field) => Some(&mut $self.$field),)+
            _ => None,
        }
    };
}

impl Theme {
    /// A theme with every slot empty (terminal defaults); the root every theme builds on.
    fn blank(name: &str) -> Theme {
        let s = Style::new();
        Theme {
            name: name.to_string(),
            description: String::new(),
            base: s,
            muted: s,
            accent: s,
            title: s,
            border: s,
            header: s,
            ok: s,
            warn: s,
            critical: s,
            stale: s,
            stale_row: s,
            info: s,
            prod: s,
            prod_label: s,
            selection: s,
            filter: s,
            read_only: s,
            bar_filled: s,
            bar_empty: s,
        }
    }

    /// The slot called `name` in theme files (see [`SLOT_NAMES`]).
    pub fn slot(&self, name: &str) -> Option<Style> {
        slot_match!(self, name, shared).copied()
    }

    /// Every slot with its name, in [`SLOT_NAMES`] order.
    pub fn slots(&self) -> Vec<(&'static str, Style)> {
        SLOT_NAMES
            .iter()
            .map(|&n| (n, self.slot(n).expect("every slot name resolves")))
            .collect()
    }

    fn slot_mut(&mut self, name: &str) -> Option<&mut Style> {
        slot_match!(self, name, exclusive)
    }

    /// This theme without any colour (for `NO_COLOR`): fg, bg and underline colours are removed
    /// from every slot, modifiers stay. The selection, the PROD badge and critical states get
    /// `reversed`/`bold` if they would otherwise look exactly like plain text.
    pub fn without_colors(mut self) -> Theme {
        for name in SLOT_NAMES {
            let slot = self.slot_mut(name).expect("every slot name resolves");
            slot.fg = None;
            slot.bg = None;
            slot.underline_color = None;
        }
        let base = effective_modifiers(self.base);
        let ensure = |style: &mut Style, preferred: &[Modifier]| {
            if effective_modifiers(*style) == base {
                let extra = preferred.iter().copied().find(|m| !base.contains(*m));
                let extra = extra.unwrap_or(Modifier::UNDERLINED);
                *style = style.add_modifier(extra);
            }
        };
        ensure(&mut self.selection, &[Modifier::REVERSED, Modifier::BOLD]);
        ensure(
            &mut self.prod_label,
            &[Modifier::REVERSED, Modifier::BOLD, Modifier::UNDERLINED],
        );
        ensure(&mut self.critical, &[Modifier::BOLD, Modifier::UNDERLINED]);
        // The PROD badge should also not look like the selection bar.
        if effective_modifiers(self.prod_label) == effective_modifiers(self.selection) {
            let m = if self.prod_label.has_modifier(Modifier::BOLD) {
                Modifier::UNDERLINED
            } else {
                Modifier::BOLD
            };
            self.prod_label = self.prod_label.add_modifier(m);
        }
        self
    }
}

impl Default for Theme {
    /// The built-in `dark` theme.
    fn default() -> Self {
        load_theme(DEFAULT_THEME, None, false).expect("the built-in dark theme is valid")
    }
}

fn effective_modifiers(style: Style) -> Modifier {
    style.add_modifier - style.sub_modifier
}

/// Whether `NO_COLOR` asks for no colour: set and not empty (<https://no-color.org>).
pub fn no_color_from_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// The names of the themes shipped inside the binary, sorted.
pub fn theme_names_builtin() -> &'static [&'static str] {
    BUILTIN_NAMES
}

/// Built-in themes plus every `*.toml` in `user_themes_dir`, sorted and deduplicated.
pub fn available_themes(user_themes_dir: Option<&Path>) -> Vec<String> {
    let mut names: Vec<String> = BUILTIN_NAMES.iter().map(|s| s.to_string()).collect();
    if let Some(dir) = user_themes_dir
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml")
                && path.is_file()
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                && valid_theme_name(stem)
            {
                names.push(stem.to_string());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Loads theme `name`: the user's `user_themes_dir/NAME.toml` if it exists, else the shipped
/// theme. With `no_color`, every colour is stripped (see [`Theme::without_colors`]).
pub fn load_theme(
    name: &str,
    user_themes_dir: Option<&Path>,
    no_color: bool,
) -> Result<Theme, ThemeError> {
    let mut stack = Vec::new();
    let mut theme = resolve(name, user_themes_dir, &mut stack, None)?;
    theme.name = name.to_string();
    Ok(if no_color {
        theme.without_colors()
    } else {
        theme
    })
}

/// What went wrong loading a theme.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    /// No shipped theme and no user file has this name.
    #[error("{}", unknown_theme_message(name, available, user_themes_dir.as_deref()))]
    Unknown {
        name: String,
        available: Vec<String>,
        user_themes_dir: Option<PathBuf>,
    },
    /// A theme file is not valid: bad TOML, unknown slot, colour or modifier, `extends` loop.
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        /// The file, e.g. `/home/me/.config/opsdeck/themes/work.toml` or `themes/dark.toml (built-in)`.
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A user theme file exists but could not be read.
    #[error("cannot read theme file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The unknown-theme message lists what exists and where a new theme would go.
fn unknown_theme_message(
    name: &str,
    available: &[String],
    user_themes_dir: Option<&Path>,
) -> String {
    let mut msg = format!(
        "unknown theme \"{name}\"; available themes: {}",
        available.join(", ")
    );
    if valid_theme_name(name) {
        match user_themes_dir {
            Some(dir) => msg.push_str(&format!(
                " (add your own as {})",
                tilde(&dir.join(format!("{name}.toml")))
            )),
            None => msg.push_str(&format!(
                " (add your own as themes/{name}.toml in the opsdeck config folder)"
            )),
        }
    }
    msg
}

fn tilde(path: &Path) -> String {
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty())
        && let Ok(rest) = path.strip_prefix(PathBuf::from(home))
    {
        return format!("~/{}", rest.display());
    }
    path.display().to_string()
}

/// Theme names are file names: letters, digits, `-` and `_` (no paths).
fn valid_theme_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn builtin_source(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// A theme file's text and the name to use in messages.
struct Source {
    label: String,
    text: String,
    user: bool,
}

fn find_source(name: &str, user_dir: Option<&Path>) -> Result<Option<Source>, ThemeError> {
    if !valid_theme_name(name) {
        return Ok(None);
    }
    if let Some(dir) = user_dir {
        let path = dir.join(format!("{name}.toml"));
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|source| ThemeError::Io {
                path: path.clone(),
                source,
            })?;
            return Ok(Some(Source {
                label: path.display().to_string(),
                text,
                user: true,
            }));
        }
    }
    Ok(builtin_source(name).map(|text| Source {
        label: format!("themes/{name}.toml (built-in)"),
        text: text.to_string(),
        user: false,
    }))
}

/// Where an `extends` came from, so an unknown parent is reported at that line.
struct Referrer<'a> {
    src: &'a Source,
    span: std::ops::Range<usize>,
}

fn resolve(
    name: &str,
    user_dir: Option<&Path>,
    stack: &mut Vec<String>,
    referrer: Option<Referrer<'_>>,
) -> Result<Theme, ThemeError> {
    let Some(src) = find_source(name, user_dir)? else {
        let unknown = ThemeError::Unknown {
            name: name.to_string(),
            available: available_themes(user_dir),
            user_themes_dir: user_dir.map(Path::to_path_buf),
        };
        return Err(match referrer {
            Some(r) => invalid(r.src, r.span, format!("extends: {unknown}")),
            None => unknown,
        });
    };
    let key = format!("{}:{name}", if src.user { "user" } else { "builtin" });
    if stack.contains(&key) || stack.len() >= MAX_EXTENDS_DEPTH {
        let chain: Vec<&str> = stack
            .iter()
            .map(|k| k.split_once(':').map_or(k.as_str(), |(_, n)| n))
            .collect();
        let message = format!(
            "theme \"{name}\" extends itself (chain: {} -> {name})",
            chain.join(" -> ")
        );
        return Err(match referrer {
            Some(r) => invalid(r.src, r.span, message),
            None => invalid(&src, 0..0, message),
        });
    }
    stack.push(key);

    let raw: RawTheme = toml::from_str(&src.text).map_err(|e| {
        invalid(
            &src,
            e.span().unwrap_or(0..0),
            e.message().trim().replace(
                "expected struct RawStyle",
                "expected a slot table such as { fg = \"red\", modifiers = [\"bold\"] }",
            ),
        )
    })?;

    let mut theme = match &raw.extends {
        Some(parent) => {
            let parent_name = parent.get_ref().as_str();
            // A user file extending its own name means the shipped theme of that name.
            let dir = if parent_name == name && src.user {
                None
            } else {
                user_dir
            };
            let r = Referrer {
                src: &src,
                span: parent.span(),
            };
            resolve(parent_name, dir, stack, Some(r))?
        }
        None if src.user && builtin_source(name).is_some() => resolve(name, None, stack, None)?,
        None if !src.user && name == DEFAULT_THEME => Theme::blank(name),
        None => resolve(DEFAULT_THEME, None, stack, None)?,
    };
    stack.pop();

    theme.name = name.to_string();
    if let Some(d) = raw.description {
        theme.description = d;
    }
    for (slot_name, raw_style) in &raw.slots {
        let style = raw_style.get_ref().to_style(&src)?;
        match theme.slot_mut(slot_name.get_ref()) {
            Some(slot) => *slot = style,
            None => {
                return Err(invalid(
                    &src,
                    slot_name.span(),
                    format!(
                        "unknown slot \"{}\"{}; valid slots: {}",
                        slot_name.get_ref(),
                        did_you_mean(slot_name.get_ref(), SLOT_NAMES.iter().copied()),
                        SLOT_NAMES.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(theme)
}

fn invalid(src: &Source, span: std::ops::Range<usize>, message: String) -> ThemeError {
    let (line, column) = line_col(&src.text, span.start);
    ThemeError::Invalid {
        file: src.label.clone(),
        line,
        column,
        message,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    #[allow(dead_code)] // informative; the file name is the theme's name
    name: Option<String>,
    description: Option<String>,
    extends: Option<Spanned<String>>,
    #[serde(default)]
    slots: BTreeMap<Spanned<String>, Spanned<RawStyle>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    fg: Option<Spanned<toml::Value>>,
    bg: Option<Spanned<toml::Value>>,
    #[serde(default)]
    modifiers: Vec<Spanned<String>>,
}

impl RawStyle {
    fn to_style(&self, src: &Source) -> Result<Style, ThemeError> {
        let mut style = Style::new();
        if let Some(fg) = &self.fg {
            style = style.fg(parse_color_value(fg, src)?);
        }
        if let Some(bg) = &self.bg {
            style = style.bg(parse_color_value(bg, src)?);
        }
        for m in &self.modifiers {
            let name = m.get_ref().to_ascii_lowercase();
            let Some((_, modifier)) = MODIFIER_NAMES.iter().find(|(n, _)| *n == name) else {
                let names: Vec<&str> = MODIFIER_NAMES.iter().map(|(n, _)| *n).collect();
                return Err(invalid(
                    src,
                    m.span(),
                    format!(
                        "unknown modifier \"{}\"{}; valid modifiers: {}",
                        m.get_ref(),
                        did_you_mean(&name, names.iter().copied()),
                        names.join(", ")
                    ),
                ));
            };
            style = style.add_modifier(*modifier);
        }
        Ok(style)
    }
}

fn parse_color_value(value: &Spanned<toml::Value>, src: &Source) -> Result<Color, ThemeError> {
    let result = match value.get_ref() {
        toml::Value::String(s) => parse_color(s),
        toml::Value::Integer(i) => u8::try_from(*i)
            .map(Color::Indexed)
            .map_err(|_| format!("colour index {i} is out of range 0-255")),
        other => Err(format!(
            "a colour must be a string or an integer 0-255, not {}",
            other.type_str()
        )),
    };
    result.map_err(|message| invalid(src, value.span(), message))
}

/// Parses a colour: an ANSI name (`red`, `lightblue`, `reset`, ...), `#rrggbb`, `color(N)` or
/// the decimal index `N` (0-255).
pub fn parse_color(text: &str) -> Result<Color, String> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix('#') {
        if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let v = u32::from_str_radix(hex, 16).expect("checked hex digits");
            return Ok(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return Err(format!(
            "invalid colour \"{text}\": hex colours are written #rrggbb"
        ));
    }
    let lower = t.to_ascii_lowercase();
    let index = lower
        .strip_prefix("color(")
        .or_else(|| lower.strip_prefix("colour("))
        .and_then(|r| r.strip_suffix(')'))
        .or_else(|| {
            lower
                .chars()
                .all(|c| c.is_ascii_digit())
                .then_some(lower.as_str())
        })
        .filter(|s| !s.is_empty());
    if let Some(index) = index {
        return index
            .trim()
            .parse::<u8>()
            .map(Color::Indexed)
            .map_err(|_| format!("invalid colour \"{text}\": an index must be 0-255"));
    }
    let squashed: String = lower
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .collect::<String>()
        .replace("grey", "gray");
    if let Some((_, c)) = COLOR_NAMES.iter().find(|(n, _)| *n == squashed) {
        return Ok(*c);
    }
    let names: Vec<&str> = COLOR_NAMES.iter().map(|(n, _)| *n).collect();
    Err(format!(
        "unknown colour \"{text}\"{}; use one of {}, \"#rrggbb\", \"color(0-255)\" or an integer 0-255",
        did_you_mean(&squashed, names.iter().copied()),
        names.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse() {
        assert_eq!(parse_color("red"), Ok(Color::Red));
        assert_eq!(parse_color("DarkGray"), Ok(Color::DarkGray));
        assert_eq!(parse_color("dark_grey"), Ok(Color::DarkGray));
        assert_eq!(parse_color("#ff8000"), Ok(Color::Rgb(255, 128, 0)));
        assert_eq!(parse_color("color(208)"), Ok(Color::Indexed(208)));
        assert_eq!(parse_color("17"), Ok(Color::Indexed(17)));
        assert!(parse_color("color(256)").is_err());
        assert!(parse_color("#fff").is_err());
        let err = parse_color("redd").unwrap_err();
        assert!(err.contains("did you mean \"red\""), "{err}");
    }

    #[test]
    fn slot_names_cover_every_field() {
        let mut t = Theme::blank("x");
        for name in SLOT_NAMES {
            *t.slot_mut(name).unwrap() = Style::new().add_modifier(Modifier::BOLD);
        }
        // Every field was reachable by name: compare with a fully bold theme built by hand.
        assert!(
            t.slots()
                .iter()
                .all(|(_, s)| s.has_modifier(Modifier::BOLD))
        );
        assert_eq!(t.base, t.bar_empty);
        assert!(t.slot("nope").is_none());
    }

    #[test]
    fn without_colors_forces_distinctions() {
        let mut t = Theme::blank("x");
        t.selection = Style::new().bg(Color::Blue);
        t.prod_label = Style::new().bg(Color::Red);
        t.critical = Style::new().fg(Color::Red);
        let t = t.without_colors();
        assert!(t.selection.has_modifier(Modifier::REVERSED));
        assert!(t.critical.has_modifier(Modifier::BOLD));
        assert_ne!(t.prod_label, t.base);
        assert_ne!(t.prod_label, t.selection);
    }

    #[test]
    fn theme_names_are_not_paths() {
        assert!(!valid_theme_name("../etc/passwd"));
        assert!(!valid_theme_name("a/b"));
        assert!(valid_theme_name("high-contrast"));
        assert!(matches!(
            load_theme("../dark", None, false),
            Err(ThemeError::Unknown { .. })
        ));
    }
}
