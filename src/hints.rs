//! Shared pieces of user-facing error messages for the data files (config, keymap, themes):
//! where in the file, and which valid name was probably meant.

/// 1-based line and column (in characters, so a caret under `é` lands where the user sees it)
/// of byte `offset` in `text`. Offsets past the end or inside a character are clamped.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

pub(crate) fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo
/// (at most a third of the word's length, and at least 1 edit allowed).
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&word, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// A ` (did you mean "x"?)` suffix for the closest candidate, or nothing.
pub(crate) fn did_you_mean<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    closest(wrong, candidates)
        .map(|c| format!(" (did you mean \"{c}\"?)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        let keys = ["name", "region", "namespaces"];
        assert_eq!(closest("namespace", keys), Some("namespaces"));
        assert_eq!(closest("regoin", keys), Some("region"));
        assert_eq!(closest("colour", keys), None);
    }

    #[test]
    fn positions_count_characters() {
        assert_eq!(line_col("a\nbc", 3), (2, 2));
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 9), (2, 4));
        assert_eq!(line_col("é\né", 5), (2, 2));
        assert_eq!(line_col("é", 1), (1, 1), "inside a character clamps back");
        assert_eq!(line_col("ab", 99), (1, 3));
    }
}
