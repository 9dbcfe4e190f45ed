//! Themes: the shipped files, user overrides, errors and NO_COLOR.

use opsdeck::theme::{
    SLOT_NAMES, Theme, ThemeError, available_themes, load_theme, theme_names_builtin,
};
use ratatui::style::{Color, Modifier, Style};
use std::path::{Path, PathBuf};

fn themes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("themes")
}

fn shipped_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(themes_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_str().unwrap().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn effective(style: Style) -> Modifier {
    style.add_modifier - style.sub_modifier
}

#[test]
fn every_shipped_file_is_embedded_and_loads() {
    let files = shipped_files();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        theme_names_builtin(),
        "themes/ and the embedded list differ"
    );
    for required in ["dark", "light", "high-contrast", "ansi16", "mono"] {
        assert!(names.contains(&required), "missing {required}");
    }
    for (name, text) in &files {
        let theme = load_theme(name, None, false).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&theme.name, name);
        assert!(!theme.description.is_empty(), "{name} has no description");
        let doc: toml::Table = toml::from_str(text).unwrap();
        assert_eq!(
            doc["name"].as_str(),
            Some(name.as_str()),
            "name field of {name}"
        );
        // Shipped themes set every slot, so nothing leaks in from dark.
        let slots = doc["slots"].as_table().unwrap();
        for slot in SLOT_NAMES {
            assert!(slots.contains_key(slot), "{name} does not set {slot}");
            assert!(theme.slot(slot).is_some());
        }
        assert_eq!(slots.len(), SLOT_NAMES.len(), "{name} has extra slots");
    }
}

#[test]
fn dark_is_the_default_and_matches_its_file() {
    let dark = Theme::default();
    assert_eq!(dark.name, "dark");
    assert_eq!(
        dark.base,
        Style::new()
            .fg(Color::Rgb(0xc0, 0xca, 0xf5))
            .bg(Color::Rgb(0x1a, 0x1b, 0x26))
    );
    assert!(dark.critical.has_modifier(Modifier::BOLD));
}

#[test]
fn ansi16_uses_only_the_16_ansi_colours() {
    let theme = load_theme("ansi16", None, false).unwrap();
    for (slot, style) in theme.slots() {
        for color in [style.fg, style.bg].into_iter().flatten() {
            assert!(
                !matches!(color, Color::Rgb(..) | Color::Indexed(_)),
                "ansi16 slot {slot} uses {color:?}"
            );
        }
    }
}

#[test]
fn mono_has_no_colours_but_keeps_distinctions() {
    let theme = load_theme("mono", None, false).unwrap();
    for (slot, style) in theme.slots() {
        assert_eq!(
            (style.fg, style.bg),
            (None, None),
            "mono slot {slot} has a colour"
        );
    }
    assert_distinct(&theme);
    assert!(
        theme
            .prod_label
            .has_modifier(Modifier::BOLD | Modifier::REVERSED)
    );
}

fn assert_distinct(theme: &Theme) {
    let base = effective(theme.base);
    for (slot, style) in [
        ("selection", theme.selection),
        ("prod_label", theme.prod_label),
        ("critical", theme.critical),
    ] {
        assert_ne!(
            effective(style),
            base,
            "{}: {slot} looks like base",
            theme.name
        );
    }
    assert_ne!(effective(theme.selection), effective(theme.prod_label));
}

#[test]
fn no_color_strips_every_colour_in_every_theme() {
    for name in theme_names_builtin() {
        let theme = load_theme(name, None, true).unwrap();
        for (slot, style) in theme.slots() {
            assert_eq!(
                (style.fg, style.bg, style.underline_color),
                (None, None, None),
                "{name}: {slot} keeps a colour under NO_COLOR"
            );
        }
        assert_distinct(&theme);
    }
    // Modifiers survive.
    let dark = load_theme("dark", None, true).unwrap();
    assert!(dark.critical.has_modifier(Modifier::BOLD));
    assert!(dark.stale.has_modifier(Modifier::ITALIC));
}

#[test]
fn unknown_theme_lists_the_available_ones() {
    let err = load_theme("solarised", None, false).unwrap_err();
    assert!(matches!(err, ThemeError::Unknown { .. }));
    let text = err.to_string();
    assert!(
        text.starts_with(
            "unknown theme \"solarised\"; available themes: ansi16, dark, high-contrast, light, mono"
        ),
        "{text}"
    );
    assert!(text.contains("solarised.toml"), "{text}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("work.toml"), "[slots]\n").unwrap();
    let err = load_theme("solarised", Some(dir.path()), false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("available themes: ansi16, dark, high-contrast, light, mono, work"),
        "{err}"
    );
    assert!(
        err.contains(&dir.path().join("solarised.toml").display().to_string())
            || err.contains("~/"),
        "{err}"
    );
}

#[test]
fn available_themes_merges_user_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("work.toml"), "").unwrap();
    std::fs::write(dir.path().join("dark.toml"), "").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "").unwrap();
    assert_eq!(
        available_themes(Some(dir.path())),
        ["ansi16", "dark", "high-contrast", "light", "mono", "work"]
    );
    assert_eq!(available_themes(None), theme_names_builtin());
    assert_eq!(
        available_themes(Some(&dir.path().join("missing"))),
        theme_names_builtin()
    );
}

#[test]
fn partial_user_theme_overrides_only_what_it_sets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("light.toml"),
        "[slots]\ncritical = { fg = \"#ff0000\", modifiers = [\"bold\", \"underlined\"] }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("work.toml"),
        "description = \"mine\"\n[slots]\nselection = { fg = \"black\", bg = 208 }\nok = { fg = \"color(34)\" }\n",
    )
    .unwrap();

    let builtin_light = load_theme("light", None, false).unwrap();
    let light = load_theme("light", Some(dir.path()), false).unwrap();
    assert_eq!(
        light.critical,
        Style::new()
            .fg(Color::Rgb(255, 0, 0))
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    );
    for (slot, style) in light.slots() {
        if slot != "critical" {
            assert_eq!(Some(style), builtin_light.slot(slot), "{slot} changed");
        }
    }

    // A new theme falls back to dark for what it leaves out.
    let dark = load_theme("dark", None, false).unwrap();
    let work = load_theme("work", Some(dir.path()), false).unwrap();
    assert_eq!(work.name, "work");
    assert_eq!(work.description, "mine");
    assert_eq!(
        work.selection,
        Style::new().fg(Color::Black).bg(Color::Indexed(208))
    );
    assert_eq!(work.ok, Style::new().fg(Color::Indexed(34)));
    assert_eq!(work.base, dark.base);
    assert_eq!(work.prod_label, dark.prod_label);
}

#[test]
fn extends_picks_the_parent() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("soft.toml"),
        "extends = \"light\"\n[slots]\nok = { fg = \"green\" }\n",
    )
    .unwrap();
    let light = load_theme("light", None, false).unwrap();
    let soft = load_theme("soft", Some(dir.path()), false).unwrap();
    assert_eq!(soft.base, light.base);
    assert_eq!(soft.ok, Style::new().fg(Color::Green));

    std::fs::write(dir.path().join("a.toml"), "extends = \"b\"\n").unwrap();
    std::fs::write(dir.path().join("b.toml"), "extends = \"a\"\n").unwrap();
    let err = load_theme("a", Some(dir.path()), false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("extends itself"), "{err}");

    std::fs::write(dir.path().join("c.toml"), "\nextends = \"nope\"\n").unwrap();
    let err = load_theme("c", Some(dir.path()), false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("c.toml:2:11"), "{err}");
    assert!(err.contains("unknown theme \"nope\""), "{err}");
}

fn broken(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, text).unwrap();
    let err = load_theme("broken", Some(dir.path()), false).unwrap_err();
    assert!(matches!(err, ThemeError::Invalid { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with(&path.display().to_string()), "{text}");
    text
}

#[test]
fn broken_user_theme_reports_file_line_column() {
    let err = broken("[slots]\nok = { fg = \"green\" }\ncritical = { fg = \"redd\" }\n");
    assert!(
        err.contains("broken.toml:3:19: unknown colour \"redd\""),
        "{err}"
    );
    assert!(err.contains("did you mean \"red\""), "{err}");
    assert!(err.contains("lightblue"), "lists valid colours: {err}");

    let err = broken("[slots]\n  selektion = { fg = \"red\" }\n");
    assert!(
        err.contains("broken.toml:2:3: unknown slot \"selektion\""),
        "{err}"
    );
    assert!(err.contains("did you mean \"selection\""), "{err}");
    assert!(err.contains("prod_label"), "lists valid slots: {err}");

    let err = broken("[slots]\nwarn = { modifiers = [\"bold\", \"blink\"] }\n");
    assert!(
        err.contains("broken.toml:2:31: unknown modifier \"blink\""),
        "{err}"
    );
    assert!(err.contains("crossed_out"), "{err}");

    let err = broken("[slots]\nwarn = { fg = 300 }\n");
    assert!(err.contains("broken.toml:2:15:"), "{err}");
    assert!(err.contains("0-255"), "{err}");

    let err = broken("[slots]\nwarn = { fg = \"#12345\" }\n");
    assert!(err.contains("broken.toml:2:15:"), "{err}");

    let err = broken("[slots]\nwarn = { foreground = \"red\" }\n");
    assert!(err.contains("broken.toml:2:"), "{err}");
    assert!(err.contains("foreground"), "{err}");

    let err = broken("[slots\nwarn = 1\n");
    assert!(err.contains("broken.toml:1:"), "{err}");
}
