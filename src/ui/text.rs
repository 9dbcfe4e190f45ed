//! Formatting helpers for the screens: ages, money, bars, and making untrusted text safe.

/// Compact age: `42s`, `5m`, `3h`, `12d`.
pub fn age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// Coarse age for things that live long on screen (minute resolution, so idle screens don't
/// change every second).
pub fn age_coarse(secs: i64) -> String {
    if secs < 60 { "<1m".into() } else { age(secs) }
}

/// Dollars, compact: `$950`, `$12.3k`, `$1.24M`.
pub fn money(usd: f64) -> String {
    if !usd.is_finite() {
        return "$?".into();
    }
    let a = usd.abs();
    let sign = if usd < 0.0 { "-" } else { "" };
    if a >= 1e6 {
        format!("{sign}${:.2}M", a / 1e6)
    } else if a >= 1e3 {
        format!("{sign}${:.1}k", a / 1e3)
    } else {
        format!("{sign}${:.0}", a)
    }
}

/// A horizontal bar of `width` cells, `pct` filled (clamped to 0..=100).
pub fn bar(pct: u32, width: usize) -> (String, String) {
    let filled = ((pct.min(100) as usize * width) + 50) / 100;
    ("█".repeat(filled), "░".repeat(width - filled))
}

/// Cluster and cloud data is untrusted: control characters (escape sequences!), bidi overrides
/// and zero-width characters are replaced so nothing from a pod name or alarm reason can drive
/// the terminal or shift a column. The rule lives in [`crate::text_clean`], shared with the CLI.
pub use crate::text_clean::{clean, clean_lines};

/// Short region code: `us-east-1` -> `use1`, `ap-southeast-2` -> `apse2`.
pub fn region_short(region: &str) -> String {
    let parts: Vec<&str> = region.split('-').collect();
    match parts.as_slice() {
        [geo, dir, num] => {
            let d: String = match *dir {
                "northeast" => "ne".into(),
                "southeast" => "se".into(),
                "northwest" => "nw".into(),
                "southwest" => "sw".into(),
                other => other.chars().take(1).collect(),
            };
            format!("{geo}{d}{num}")
        }
        _ => region.to_string(),
    }
}

/// Truncate to `width` display columns, ending with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let s = clean(s);
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.into_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_money_and_regions() {
        assert_eq!(age(-5), "0s");
        assert_eq!(age(59), "59s");
        assert_eq!(age(61), "1m");
        assert_eq!(age(7200), "2h");
        assert_eq!(age(86_400 * 3), "3d");
        assert_eq!(money(950.4), "$950");
        assert_eq!(money(12_345.0), "$12.3k");
        assert_eq!(money(7_298.0), "$7.3k");
        assert_eq!(money(1_240_000.0), "$1.24M");
        assert_eq!(money(f64::NAN), "$?");
        assert_eq!(region_short("us-east-1"), "use1");
        assert_eq!(region_short("ap-southeast-2"), "apse2");
        assert_eq!(region_short("local"), "local");
    }

    #[test]
    fn untrusted_text_cannot_escape() {
        assert_eq!(clean("pod\x1b[2Jname"), "pod�[2Jname");
        assert_eq!(fit("checkout-api-7d9f", 8), "checkou…");
        assert_eq!(fit("日本語のポッド", 5), "日本…");
        assert_eq!(fit("abc", 0), "");
        // A zero-width or bidi character is a visible column, not a shift.
        assert_eq!(fit("ab\u{200B}cd\u{202E}ef", 20), "ab�cd�ef");
        assert_eq!(fit("ab\u{200B}cd\u{202E}ef", 5), "ab�c…");
    }

    #[test]
    fn bars_fill_proportionally() {
        assert_eq!(bar(50, 4), ("██".into(), "░░".into()));
        assert_eq!(bar(250, 4).0.chars().count(), 4);
    }
}
