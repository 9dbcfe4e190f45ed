//! Key bindings: which key triggers which [`Intent`] in which [`KeyContext`].
//!
//! The defaults live in `config/keymap.toml` (embedded). A user `<config_dir>/keymap.toml` may
//! rebind single actions: an action it lists replaces that action's keys in that context, and
//! everything else keeps its default. Keymaps only map keys to opsdeck actions; there is
//! deliberately no way to bind a shell command. See `docs/keybindings.md`.

use crate::hints::{did_you_mean, line_col};

use crate::app::intent::{Intent, KeyContext};
use crate::app::key::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use toml::Spanned;

/// The built-in bindings (`config/keymap.toml`).
pub const DEFAULT_KEYMAP: &str = include_str!("../config/keymap.toml");

const DEFAULT_LABEL: &str = "config/keymap.toml (built-in)";

/// The user's keymap file name inside the config folder.
pub const USER_KEYMAP_FILE: &str = "keymap.toml";

/// Named keys accepted in keymap files (besides single characters and `f1`..`f12`).
const KEY_NAMES: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("space", KeyCode::Char(' ')),
    ("backspace", KeyCode::Backspace),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
];

/// Spellings people type that mean a name in [`KEY_NAMES`].
const KEY_ALIASES: &[(&str, &str)] = &[
    ("escape", "esc"),
    ("return", "enter"),
    ("pgup", "pageup"),
    ("pgdown", "pagedown"),
    ("pgdn", "pagedown"),
    ("del", "delete"),
    ("ins", "insert"),
];

/// One key with modifiers, normalised so that a binding and a terminal's key event compare
/// equal: for characters, shift is part of the character (`G`, `?`) and never a modifier;
/// `shift-tab` is `backtab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyBinding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyBinding {
    /// A normalised binding (see the type's docs).
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> KeyBinding {
        let mut code = code;
        let mut modifiers = modifiers;
        match code {
            KeyCode::Char(c) if modifiers.contains(KeyModifiers::SHIFT) => {
                modifiers.remove(KeyModifiers::SHIFT);
                let mut upper = c.to_uppercase();
                if let (true, Some(u), None) = (c.is_lowercase(), upper.next(), upper.next()) {
                    code = KeyCode::Char(u);
                }
            }
            KeyCode::BackTab => modifiers.remove(KeyModifiers::SHIFT),
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                code = KeyCode::BackTab;
                modifiers.remove(KeyModifiers::SHIFT);
            }
            _ => {}
        }
        KeyBinding { code, modifiers }
    }

    /// The binding a terminal key event corresponds to.
    pub fn from_event(event: &KeyEvent) -> KeyBinding {
        KeyBinding::new(event.code, event.modifiers)
    }

    /// Whether `event` is this key (regardless of press/release).
    pub fn matches(&self, event: &KeyEvent) -> bool {
        KeyBinding::from_event(event) == *self
    }
}

impl FromStr for KeyBinding {
    type Err = String;

    /// Parses `q`, `G`, `?`, `enter`, `f5`, `ctrl-r`, `ctrl-alt-x`, `shift-tab`, ...
    fn from_str(text: &str) -> Result<KeyBinding, String> {
        if text.is_empty() {
            return Err(
                "empty key; write a character such as \"q\" or a name such as \"enter\"".into(),
            );
        }
        let mut rest = text;
        let mut modifiers = KeyModifiers::NONE;
        // A single character is always the key itself, so "-" and "ctrl--" work.
        while rest.chars().count() > 1 {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            if modifiers.contains(m) {
                return Err(format!("modifier repeated in \"{text}\""));
            }
            modifiers |= m;
            rest = &rest[len..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if c.is_control() {
                    return Err(format!("invalid key \"{}\"", text.escape_debug()));
                }
                if modifiers.contains(KeyModifiers::SHIFT) && !c.is_alphabetic() {
                    return Err(format!(
                        "invalid key \"{text}\": shift- only combines with letters and named keys; \
                         write the shifted character itself (e.g. \"?\" rather than \"shift-/\")"
                    ));
                }
                KeyCode::Char(c)
            }
            _ => named_key(rest).ok_or_else(|| unknown_key_message(text, rest))?,
        };
        Ok(KeyBinding::new(code, modifiers))
    }
}

fn named_key(name: &str) -> Option<KeyCode> {
    let lower = name.to_ascii_lowercase();
    let canonical = KEY_ALIASES
        .iter()
        .find(|(alias, _)| *alias == lower)
        .map_or(lower.as_str(), |(_, n)| n);
    if let Some((_, code)) = KEY_NAMES.iter().find(|(n, _)| *n == canonical) {
        return Some(*code);
    }
    let n: u8 = canonical.strip_prefix('f')?.parse().ok()?;
    (1..=12).contains(&n).then_some(KeyCode::F(n))
}

fn unknown_key_message(text: &str, name: &str) -> String {
    let names: Vec<&str> = KEY_NAMES.iter().map(|(n, _)| *n).collect();
    let mut candidates = names.clone();
    candidates.extend(["ctrl-", "alt-", "shift-", "f1", "f12"]);
    format!(
        "unknown key \"{text}\"{}; a key is a single character (q, G, ?) or one of {}, f1..f12, \
         optionally after ctrl-, alt-, shift- (e.g. \"ctrl-r\")",
        did_you_mean(&name.to_ascii_lowercase(), candidates.into_iter()),
        names.join(", ")
    )
}

impl fmt::Display for KeyBinding {
    /// The form used in keymap files: `ctrl-r`, `G`, `enter`, `space`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (m, prefix) in [
            (KeyModifiers::CONTROL, "ctrl-"),
            (KeyModifiers::ALT, "alt-"),
            (KeyModifiers::SHIFT, "shift-"),
            (KeyModifiers::SUPER, "super-"),
            (KeyModifiers::HYPER, "hyper-"),
            (KeyModifiers::META, "meta-"),
        ] {
            if self.modifiers.contains(m) {
                f.write_str(prefix)?;
            }
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => match KEY_NAMES.iter().find(|(_, c)| *c == code) {
                Some((name, _)) => f.write_str(name),
                None => write!(f, "{}", format!("{code:?}").to_ascii_lowercase()),
            },
        }
    }
}

/// All bindings, per context. Build with [`Keymap::load`] or [`Keymap::from_toml_str`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    /// Per context, per action (in [`Intent::ALL`] order), the keys in file order.
    contexts: BTreeMap<KeyContext, BTreeMap<Intent, Vec<KeyBinding>>>,
    index: HashMap<(KeyContext, KeyBinding), Intent>,
    /// What each intent is, in words, for help and the palette (`[intents]`).
    about: BTreeMap<Intent, About>,
}

/// An intent in words (`[intents]` in the keymap file): one line for help and the palette, the
/// extra names the palette accepts, and whether the palette lists it (movement is noise there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct About {
    pub description: String,
    pub aliases: Vec<String>,
    pub palette: bool,
}

impl Default for Keymap {
    /// The built-in bindings.
    fn default() -> Self {
        Keymap::from_toml_str(DEFAULT_KEYMAP, None).expect("the built-in keymap is valid")
    }
}

impl Keymap {
    /// The built-in bindings, then `<user_config_dir>/keymap.toml` if it exists.
    pub fn load(user_config_dir: Option<&Path>) -> Result<Keymap, KeymapError> {
        let Some(path) = user_config_dir.map(|d| d.join(USER_KEYMAP_FILE)) else {
            return Keymap::from_toml_str(DEFAULT_KEYMAP, None);
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Keymap::from_toml_str(DEFAULT_KEYMAP, Some((&text, &path))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Keymap::from_toml_str(DEFAULT_KEYMAP, None)
            }
            Err(source) => Err(KeymapError::Io { path, source }),
        }
    }

    /// `defaults` (the full keymap), then the partial `user` override: its text and the path
    /// used in error messages.
    pub fn from_toml_str(
        defaults: &str,
        user: Option<(&str, &Path)>,
    ) -> Result<Keymap, KeymapError> {
        let mut layers = vec![Layer {
            label: DEFAULT_LABEL.to_string(),
            text: defaults,
        }];
        if let Some((text, path)) = user {
            layers.push(Layer {
                label: path.display().to_string(),
                text,
            });
        }
        // Per context and action: keys with where each was written.
        let mut merged: BTreeMap<KeyContext, BTreeMap<Intent, Vec<(KeyBinding, Location)>>> =
            KeyContext::ALL
                .iter()
                .map(|c| (*c, BTreeMap::new()))
                .collect();
        let mut about: BTreeMap<Intent, About> = BTreeMap::new();
        for layer in &layers {
            let parsed = layer.parse()?;
            for (context, action, keys) in parsed.bindings {
                merged
                    .get_mut(&context)
                    .expect("every context present")
                    .insert(action, keys);
            }
            for (intent, raw) in parsed.about {
                match about.get_mut(&intent) {
                    Some(known) => raw.fields.apply_to(known),
                    None => {
                        let Some(description) = raw.fields.description.clone() else {
                            return Err(raw.at.error(format!(
                                "[intents] {} needs a description, e.g. {} = {{ description = \"…\" }}",
                                intent.name(),
                                intent.name()
                            )));
                        };
                        let mut new = About {
                            description,
                            aliases: Vec::new(),
                            palette: true,
                        };
                        raw.fields.apply_to(&mut new);
                        about.insert(intent, new);
                    }
                }
            }
        }
        if let Some(missing) = Intent::ALL.iter().find(|i| !about.contains_key(i)) {
            return Err(layers[0].at(0..0).error(format!(
                "[intents] does not describe \"{}\": every intent needs a line there",
                missing.name()
            )));
        }

        let mut index = HashMap::new();
        let mut contexts = BTreeMap::new();
        for (context, actions) in merged {
            let mut seen: HashMap<KeyBinding, (Intent, Location)> = HashMap::new();
            let mut out = BTreeMap::new();
            for (action, keys) in actions {
                let mut list: Vec<KeyBinding> = Vec::new();
                for (key, location) in keys {
                    if let Some((other, other_location)) = seen.get(&key) {
                        if *other == action {
                            continue; // the same key twice for one action: harmless
                        }
                        // Report at the user's line when one of the two is theirs.
                        let (here, there, first, second) = if other_location.label == DEFAULT_LABEL
                        {
                            (location, other_location.clone(), *other, action)
                        } else {
                            (other_location.clone(), location, action, *other)
                        };
                        return Err(here.error(format!(
                            "key \"{key}\" is bound to both \"{}\" and \"{}\" in [{}] (also at {}); \
                             a key can trigger only one action per context: rebind or unbind \
                             one of them (e.g. {} = [])",
                            first.name(),
                            second.name(),
                            context.name(),
                            there.short(),
                            first.name(),
                        )));
                    }
                    seen.insert(key, (action, location));
                    index.insert((context, key), action);
                    list.push(key);
                }
                out.insert(action, list);
            }
            contexts.insert(context, out);
        }
        Ok(Keymap {
            contexts,
            index,
            about,
        })
    }

    /// What `intent` is, in words (from `[intents]`; every intent has one).
    pub fn about(&self, intent: Intent) -> &About {
        &self.about[&intent]
    }

    /// The action for `key` in `contexts` (most specific first, e.g.
    /// `[ServiceDetail, List, Global]`): the first context that binds the key wins. Key
    /// releases give `None`; repeats count as presses.
    pub fn intent_for(&self, contexts: &[KeyContext], key: &KeyEvent) -> Option<Intent> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let binding = KeyBinding::from_event(key);
        contexts
            .iter()
            .find_map(|c| self.index.get(&(*c, binding)).copied())
    }

    /// The actions bound in `context` with their keys, in [`Intent::ALL`] order (for the help
    /// screen). Actions without keys there are left out.
    pub fn bindings(&self, context: KeyContext) -> Vec<(Intent, Vec<String>)> {
        self.contexts
            .get(&context)
            .into_iter()
            .flatten()
            .filter(|(_, keys)| !keys.is_empty())
            .map(|(action, keys)| (*action, keys.iter().map(ToString::to_string).collect()))
            .collect()
    }

    /// The keys for `action` in the first context (in [`KeyContext::ALL`] order) that binds it.
    pub fn keys_for(&self, action: Intent) -> Vec<String> {
        KeyContext::ALL
            .iter()
            .find_map(|c| {
                let keys = self.contexts.get(c)?.get(&action)?;
                (!keys.is_empty()).then(|| keys.iter().map(ToString::to_string).collect())
            })
            .unwrap_or_default()
    }

    /// The keys that trigger `action` when `contexts` are active (most specific first), leaving
    /// out keys a more specific context shadows. For footer hints in a given view.
    pub fn keys_for_in(&self, contexts: &[KeyContext], action: Intent) -> Vec<String> {
        let mut out = Vec::new();
        for (i, context) in contexts.iter().enumerate() {
            let Some(keys) = self.contexts.get(context).and_then(|a| a.get(&action)) else {
                continue;
            };
            for key in keys {
                let shadowed = contexts[..i]
                    .iter()
                    .any(|c| self.index.contains_key(&(*c, *key)));
                let text = key.to_string();
                if !shadowed && !out.contains(&text) {
                    out.push(text);
                }
            }
        }
        out
    }
}

/// What went wrong loading the keymap.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    /// Bad TOML, an unknown context, action or key, or one key bound to two actions.
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        /// The file, e.g. `/home/me/.config/opsdeck/keymap.toml`.
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// The user keymap exists but could not be read.
    #[error("cannot read keymap {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone)]
struct Location {
    label: String,
    line: usize,
    column: usize,
}

impl Location {
    fn error(self, message: String) -> KeymapError {
        KeymapError::Invalid {
            file: self.label,
            line: self.line,
            column: self.column,
            message,
        }
    }

    fn short(&self) -> String {
        format!("{}:{}:{}", self.label, self.line, self.column)
    }
}

type RawKeys = Spanned<Vec<Spanned<String>>>;
type RawContext = Spanned<BTreeMap<Spanned<String>, RawKeys>>;

/// The name of the table that describes intents; every other table is a context.
const INTENTS_TABLE: &str = "intents";

/// One `[intents]` entry as written: every field optional, so a user file can change one.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAboutFields {
    description: Option<String>,
    aliases: Option<Vec<String>>,
    palette: Option<bool>,
}

/// An `[intents]` entry with where it was written.
struct RawAbout {
    fields: RawAboutFields,
    at: Location,
}

impl RawAboutFields {
    fn apply_to(self, about: &mut About) {
        if let Some(d) = self.description {
            about.description = d;
        }
        if let Some(a) = self.aliases {
            about.aliases = a;
        }
        if let Some(p) = self.palette {
            about.palette = p;
        }
    }
}

/// A keymap file: context tables of bindings, and the `[intents]` table. Read table by table
/// (not through `#[serde(flatten)]`, which would lose the spans errors point at).
struct RawKeymap {
    contexts: Vec<(Spanned<String>, RawContext)>,
    intents: Vec<(Spanned<String>, Spanned<RawAboutFields>)>,
}

impl<'de> serde::Deserialize<'de> for RawKeymap {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = RawKeymap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("tables of key bindings")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawKeymap, A::Error> {
                let mut out = RawKeymap {
                    contexts: Vec::new(),
                    intents: Vec::new(),
                };
                while let Some(name) = map.next_key::<Spanned<String>>()? {
                    if name.get_ref() == INTENTS_TABLE {
                        let table: BTreeMap<Spanned<String>, Spanned<RawAboutFields>> =
                            map.next_value()?;
                        out.intents.extend(table);
                    } else {
                        let context: RawContext = map.next_value()?;
                        out.contexts.push((name, context));
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(Visit)
    }
}

struct Layer<'a> {
    label: String,
    text: &'a str,
}

/// One context's binding of an intent: the keys with where each was written.
type ParsedBinding = (KeyContext, Intent, Vec<(KeyBinding, Location)>);

struct Parsed {
    bindings: Vec<ParsedBinding>,
    about: Vec<(Intent, RawAbout)>,
}

impl Layer<'_> {
    fn at(&self, span: std::ops::Range<usize>) -> Location {
        let (line, column) = line_col(self.text, span.start);
        Location {
            label: self.label.clone(),
            line,
            column,
        }
    }

    fn parse(&self) -> Result<Parsed, KeymapError> {
        let raw: RawKeymap = toml::from_str(self.text).map_err(|e| {
            let mut message = e.message().trim().to_string();
            if message.contains("expected a sequence") {
                message.push_str("; write keys as a list, e.g. quit = [\"q\"]");
            } else if message.contains("expected a map") {
                message.push_str(
                    "; bindings go inside a context table such as [global], e.g. [global] quit = [\"q\"]",
                );
            }
            self.at(e.span().unwrap_or(0..0)).error(message)
        })?;
        let mut about = Vec::new();
        for (name, fields) in raw.intents {
            let intent = self.intent_named(&name, INTENTS_TABLE)?;
            let at = self.at(fields.span());
            let fields = fields.into_inner();
            about.push((intent, RawAbout { fields, at }));
        }
        let mut out = Vec::new();
        for (context_name, actions) in raw.contexts {
            let Some(context) = KeyContext::ALL
                .iter()
                .find(|c| c.name() == context_name.get_ref())
            else {
                let names: Vec<&str> = KeyContext::ALL.iter().map(|c| c.name()).collect();
                return Err(self.at(context_name.span()).error(format!(
                    "unknown context [{}]{}; valid contexts: {}",
                    context_name.get_ref(),
                    did_you_mean(context_name.get_ref(), names.iter().copied()),
                    names.join(", ")
                )));
            };
            for (action_name, keys) in actions.into_inner() {
                let action = self.intent_named(&action_name, context.name())?;
                let mut parsed = Vec::new();
                for key in keys.into_inner() {
                    let binding: KeyBinding = key
                        .get_ref()
                        .parse()
                        .map_err(|m| self.at(key.span()).error(m))?;
                    parsed.push((binding, self.at(key.span())));
                }
                out.push((*context, action, parsed));
            }
        }
        Ok(Parsed {
            bindings: out,
            about,
        })
    }

    /// The intent `name` names in `[table]`, or an error saying which names there are.
    fn intent_named(&self, name: &Spanned<String>, table: &str) -> Result<Intent, KeymapError> {
        Intent::from_name(name.get_ref()).ok_or_else(|| {
            let names: Vec<&str> = Intent::ALL.iter().map(|a| a.name()).collect();
            self.at(name.span()).error(format!(
                "unknown action \"{}\" in [{table}]{}; valid actions: {}",
                name.get_ref(),
                did_you_mean(name.get_ref(), names.iter().copied()),
                names.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> KeyBinding {
        text.parse().unwrap()
    }

    #[test]
    fn parses_and_displays_round_trip() {
        for text in [
            "q",
            "G",
            "?",
            ":",
            "/",
            "-",
            "1",
            "enter",
            "esc",
            "tab",
            "backtab",
            "space",
            "backspace",
            "up",
            "pageup",
            "f1",
            "f12",
            "ctrl-r",
            "alt-x",
            "ctrl-alt-x",
            "ctrl--",
            "shift-up",
            "ctrl-space",
        ] {
            assert_eq!(key(text).to_string(), text, "{text}");
        }
    }

    #[test]
    fn normalises_shift() {
        assert_eq!(key("shift-g"), key("G"));
        assert_eq!(key("shift-tab"), key("backtab"));
        assert_eq!(key("Enter"), key("enter"));
        assert_eq!(key("escape"), key("esc"));
        assert_eq!(key("CTRL-r"), key("ctrl-r"));
        assert_eq!(
            KeyBinding::new(KeyCode::Char('?'), KeyModifiers::SHIFT),
            key("?")
        );
        assert_eq!(
            KeyBinding::new(KeyCode::BackTab, KeyModifiers::SHIFT),
            key("backtab")
        );
    }

    #[test]
    fn rejects_bad_keys() {
        for bad in [
            "",
            "entr",
            "f13",
            "ctrl-",
            "ctrl-ctrl-x",
            "shift-/",
            "hyper-x",
        ] {
            assert!(
                bad.parse::<KeyBinding>().is_err(),
                "{bad:?} should not parse"
            );
        }
        let err = "entr".parse::<KeyBinding>().unwrap_err();
        assert!(err.contains("did you mean \"enter\""), "{err}");
    }
}
