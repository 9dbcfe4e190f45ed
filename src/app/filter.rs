//! The `/` filter of every list. Words match fuzzily over a row's text; `env:`, `region:` and
//! `svc:` words narrow by that field instead (case-insensitive substring), e.g.
//! `env:prod svc:checkout deploy`. A row without that field (a cost row for a whole service has
//! no region) does not match a field word.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// What a row offers to the filter.
#[derive(Debug, Clone, Default)]
pub struct Fields<'a> {
    pub env: Option<&'a str>,
    pub region: Option<&'a str>,
    pub service: Option<&'a str>,
    /// Everything the fuzzy words match against.
    pub text: String,
}

/// A parsed filter, ready to test rows.
pub struct ListFilter {
    env: Option<String>,
    region: Option<String>,
    service: Option<String>,
    pattern: Option<Pattern>,
    matcher: Matcher,
    buf: Vec<char>,
}

impl ListFilter {
    pub fn new(input: &str) -> ListFilter {
        let mut env = None;
        let mut region = None;
        let mut service = None;
        let mut words = Vec::new();
        for word in input.split_whitespace() {
            let lower = word.to_lowercase();
            match lower.split_once(':') {
                Some(("env", v)) if !v.is_empty() => env = Some(v.to_string()),
                Some(("region", v)) if !v.is_empty() => region = Some(v.to_string()),
                Some(("svc" | "service", v)) if !v.is_empty() => service = Some(v.to_string()),
                _ => words.push(word),
            }
        }
        let text = words.join(" ");
        let pattern = (!text.is_empty())
            .then(|| Pattern::parse(&text, CaseMatching::Smart, Normalization::Smart));
        ListFilter {
            env,
            region,
            service,
            pattern,
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
        }
    }

    /// Whether the filter lets everything through.
    pub fn is_empty(&self) -> bool {
        self.env.is_none()
            && self.region.is_none()
            && self.service.is_none()
            && self.pattern.is_none()
    }

    pub fn matches(&mut self, row: &Fields) -> bool {
        let field = |want: &Option<String>, have: Option<&str>| match (want, have) {
            (Some(w), Some(h)) => h.to_lowercase().contains(w.as_str()),
            (Some(_), None) => false,
            (None, _) => true,
        };
        if !field(&self.env, row.env)
            || !field(&self.region, row.region)
            || !field(&self.service, row.service)
        {
            return false;
        }
        match &self.pattern {
            Some(p) => p
                .score(Utf32Str::new(&row.text, &mut self.buf), &mut self.matcher)
                .is_some(),
            None => true,
        }
    }

    /// Keep the rows that match.
    pub fn retain<T>(&mut self, rows: &mut Vec<T>, fields: impl Fn(&T) -> Fields<'_>) {
        if !self.is_empty() {
            rows.retain(|r| self.matches(&fields(r)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(env: &'a str, service: &'a str) -> Fields<'a> {
        Fields {
            env: Some(env),
            region: Some("us-east-1"),
            service: Some(service),
            text: format!("{env} us-east-1 {service} deploy"),
        }
    }

    #[test]
    fn field_words_narrow_and_other_words_match_fuzzily() {
        let mut f = ListFilter::new("env:PROD chkout");
        assert!(f.matches(&row("prod", "checkout-api")));
        assert!(!f.matches(&row("staging", "checkout-api")));
        assert!(!f.matches(&row("prod", "ledger")));
        let mut f = ListFilter::new("svc:ledg region:us");
        assert!(f.matches(&row("dev", "ledger")));
        assert!(!f.matches(&row("dev", "checkout-api")));
    }

    #[test]
    fn a_field_the_row_lacks_excludes_it_and_empty_passes_all() {
        let mut f = ListFilter::new("env:prod");
        let no_env = Fields {
            text: "fleet prod".into(),
            ..Fields::default()
        };
        assert!(!f.matches(&no_env));
        let mut all = ListFilter::new("  ");
        assert!(all.is_empty());
        let mut rows = vec![1, 2, 3];
        all.retain(&mut rows, |_| Fields::default());
        assert_eq!(rows.len(), 3);
        // "env:" with no value is an ordinary word.
        assert!(!ListFilter::new("env:").is_empty());
    }
}
