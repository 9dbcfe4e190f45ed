//! "Did you mean ...?" for misspelt keys and region names, in the config's hint style.

pub(crate) use crate::hints::closest;

/// `did you mean `x`? ` or nothing, to prefix a hint.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    closest(word, candidates)
        .map(|c| format!("did you mean `{c}`? "))
        .unwrap_or_default()
}
