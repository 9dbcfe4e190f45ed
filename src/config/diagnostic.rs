//! Config problems as users see them: `file:line:col: error: what`, the offending line with a
//! caret (like rustc), and a hint saying how to fix it. One type for syntax, type, unknown-key,
//! I/O and semantic problems, so `opsdeck check-config` prints them all the same way.

use crate::hints::floor_char_boundary;
use std::fmt;
use std::ops::Range;

/// One thing wrong with a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as named to the user (the path, or a label such as `<default>`).
    pub file: String,
    /// 1-based line; `None` when the problem is about the whole file (e.g. unreadable).
    pub line: Option<usize>,
    /// 1-based column in characters (not bytes); `None` together with `line`.
    pub col: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// The offending source line and where to put the caret, for display.
    pub snippet: Option<Snippet>,
}

/// A source line plus the caret position (1-based char column) and width (in chars).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    pub col: usize,
    pub width: usize,
}

impl Problem {
    /// A problem about the whole file (no position).
    pub fn file_level(file: &str, message: impl Into<String>, hint: impl Into<String>) -> Problem {
        Problem {
            file: file.to_string(),
            line: None,
            col: None,
            message: message.into(),
            hint: hint.into(),
            snippet: None,
        }
    }

    /// A problem at a byte range of `text`; `span: None` falls back to a file-level problem.
    pub fn at(
        file: &str,
        text: &str,
        span: Option<Range<usize>>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Problem {
        let mut p = Problem::file_level(file, message, hint);
        if let Some(span) = span {
            let (line, col, snippet) = locate_span(text, span);
            p.line = Some(line);
            p.col = Some(col);
            p.snippet = Some(snippet);
        }
        p
    }
}

/// Line, column and snippet for a byte span. Columns count chars, so a caret under `é` or a
/// CJK key lands where the user sees it (close enough; wide glyphs are not measured).
pub(crate) fn locate_span(text: &str, span: Range<usize>) -> (usize, usize, Snippet) {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let (line, col) = crate::hints::line_col(text, start);
    // Multi-line spans (e.g. a long array) are underlined to the end of their first line.
    let caret_end = end.min(line_end);
    let width = text[start..caret_end].chars().count().max(1);
    let line_text = text[line_start..line_end]
        .trim_end_matches('\r')
        .to_string();
    (
        line,
        col,
        Snippet {
            text: line_text,
            col,
            width,
        },
    )
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.col) {
            (Some(line), Some(col)) => write!(f, "{}:{line}:{col}: ", self.file)?,
            _ => write!(f, "{}: ", self.file)?,
        }
        writeln!(f, "error: {}", self.message)?;
        if let (Some(s), Some(line)) = (&self.snippet, self.line) {
            let gutter = " ".repeat(line.to_string().len());
            // Keep tabs in the caret line so the caret lines up under tab-indented text.
            let pad: String = s
                .text
                .chars()
                .take(s.col - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(f, "{gutter} |")?;
            writeln!(f, "{line} | {}", s.text)?;
            writeln!(f, "{gutter} | {pad}{}", "^".repeat(s.width))?;
        }
        write!(f, "  hint: {}", self.hint)
    }
}

/// Everything wrong with one config file (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

impl ConfigError {
    pub fn single(problem: Problem) -> ConfigError {
        ConfigError {
            problems: vec![problem],
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_chars() {
        let text = "a = 1\nbé = \"x\"\n";
        let start = text.find("\"x\"").unwrap();
        let (line, col, s) = locate_span(text, start..start + 3);
        assert_eq!((line, col), (2, 6));
        assert_eq!(
            s,
            Snippet {
                text: "bé = \"x\"".into(),
                col: 6,
                width: 3
            }
        );
    }

    #[test]
    fn display_has_location_snippet_and_hint() {
        let p = Problem::at(
            "c.toml",
            "[ui]\nmax_fps = 0\n",
            Some(15..16),
            "too low",
            "raise it",
        );
        assert_eq!(
            p.to_string(),
            "c.toml:2:11: error: too low\n  |\n2 | max_fps = 0\n  |           ^\n  hint: raise it"
        );
    }

    #[test]
    fn file_level_problem_has_no_position() {
        let p = Problem::file_level("c.toml", "cannot read", "fix it");
        assert_eq!(p.to_string(), "c.toml: error: cannot read\n  hint: fix it");
    }
}
