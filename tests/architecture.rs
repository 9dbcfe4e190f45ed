//! The dependency rule, checked (docs/architecture.md, "Rules the code keeps"): the pure core —
//! `src/domain`, `src/app`, `src/actions` — uses no async runtime, terminal, Kubernetes or AWS
//! crate, and the sources (`src/source`) never touch the terminal.
//!
//! Every `.rs` file under those folders is parsed with `syn` and every path in it is looked at:
//! `use` trees, `extern crate`, paths in types, expressions, patterns and attributes
//! (`#[tokio::test]`), and the tokens inside macro calls (`tokio::select!`, `vec![kube::x()]`),
//! which syn leaves unparsed. Comments, doc comments and string literals are not code and are
//! never flagged. A violation is reported as `file:line`.

use proc_macro2::{Spacing, TokenStream, TokenTree};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use syn::visit::{self, Visit};

/// A family of crates that a part of the code must not use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Banned {
    Tokio,
    Ratatui,
    Crossterm,
    Kube,
    K8sOpenapi,
    AwsSdk,
}

impl Banned {
    /// The family a crate name belongs to (`tokio_util` is tokio, `aws_sdk_eks` the AWS SDK).
    fn of(name: &str) -> Option<Banned> {
        let family = |root: &str| name == root || name.starts_with(&format!("{root}_"));
        if family("tokio") {
            Some(Banned::Tokio)
        } else if family("ratatui") {
            Some(Banned::Ratatui)
        } else if family("crossterm") {
            Some(Banned::Crossterm)
        } else if name == "k8s_openapi" {
            Some(Banned::K8sOpenapi)
        } else if family("kube") {
            Some(Banned::Kube)
        } else if name.starts_with("aws_") {
            // `aws` alone is a module of ours (`source::aws`); the SDK's crates are `aws_*`.
            Some(Banned::AwsSdk)
        } else {
            None
        }
    }
}

const PURE_CORE: &[Banned] = &[
    Banned::Tokio,
    Banned::Ratatui,
    Banned::Crossterm,
    Banned::Kube,
    Banned::K8sOpenapi,
    Banned::AwsSdk,
];

/// Which folder may not use what.
const RULES: &[(&str, &[Banned])] = &[
    ("src/domain", PURE_CORE),
    ("src/app", PURE_CORE),
    ("src/actions", PURE_CORE),
    ("src/source", &[Banned::Ratatui, Banned::Crossterm]),
];

/// One use of a banned crate: the line (1-based) and the crate's name as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Use {
    line: usize,
    name: String,
}

/// Every use of a crate of `banned` in the Rust source `code`.
fn banned_uses(code: &str, banned: &[Banned]) -> syn::Result<Vec<Use>> {
    let file = syn::parse_file(code)?;
    let mut finder = Finder {
        banned,
        local: local_names(&file),
        found: BTreeSet::new(),
    };
    finder.visit_file(&file);
    Ok(finder.found.into_iter().collect())
}

/// Names the file itself declares at its top level (`mod kube;`, `use crate::x::kube;`,
/// `use y as tokio;`): a path starting with one of them is not the crate of that name.
fn local_names(file: &syn::File) -> BTreeSet<String> {
    fn leaves(tree: &syn::UseTree, root_is_crate_local: bool, out: &mut BTreeSet<String>) {
        match tree {
            syn::UseTree::Path(p) => leaves(&p.tree, root_is_crate_local, out),
            syn::UseTree::Name(n) if root_is_crate_local => {
                out.insert(n.ident.to_string());
            }
            syn::UseTree::Rename(r) => {
                out.insert(r.rename.to_string());
            }
            syn::UseTree::Group(g) => g
                .items
                .iter()
                .for_each(|t| leaves(t, root_is_crate_local, out)),
            _ => {}
        }
    }
    let mut names = BTreeSet::new();
    for item in &file.items {
        match item {
            syn::Item::Mod(m) => {
                names.insert(m.ident.to_string());
            }
            syn::Item::Use(u) => {
                let local = use_roots(&u.tree)
                    .iter()
                    .all(|root| matches!(root.to_string().as_str(), "crate" | "self" | "super"));
                leaves(&u.tree, local, &mut names);
            }
            _ => {}
        }
    }
    names
}

/// The first name of each path a `use` item brings in (`use {a::x, b::y}` → a, b).
fn use_roots(tree: &syn::UseTree) -> Vec<&syn::Ident> {
    match tree {
        syn::UseTree::Path(p) => vec![&p.ident],
        syn::UseTree::Name(n) => vec![&n.ident],
        syn::UseTree::Rename(r) => vec![&r.ident],
        syn::UseTree::Group(g) => g.items.iter().flat_map(use_roots).collect(),
        syn::UseTree::Glob(_) => Vec::new(),
    }
}

struct Finder<'a> {
    banned: &'a [Banned],
    local: BTreeSet<String>,
    found: BTreeSet<Use>,
}

impl Finder<'_> {
    /// `ident` names a crate here: flag it if it is a banned one.
    fn check(&mut self, ident: &proc_macro2::Ident) {
        let name = ident.to_string();
        if self.local.contains(&name) {
            return;
        }
        if Banned::of(&name).is_some_and(|b| self.banned.contains(&b)) {
            self.found.insert(Use {
                line: ident.span().start().line,
                name,
            });
        }
    }

    /// Tokens syn does not parse (macro bodies, attribute arguments): a name followed by `::`,
    /// or after a leading `::`, is a path's first segment.
    fn check_tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let is_path_sep = |i: usize| {
            matches!((tokens.get(i), tokens.get(i + 1)),
                (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                    if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':')
        };
        for (i, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Group(g) => self.check_tokens(g.stream()),
                TokenTree::Ident(ident) => {
                    let continues = is_path_sep(i + 1);
                    let after_separator = i >= 2 && is_path_sep(i - 2);
                    let leading = after_separator && (i < 3 || !path_part(&tokens[i - 3]));
                    if continues && (!after_separator || leading) {
                        self.check(ident);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Whether a token can end a path segment (so a following `::x` continues that path).
fn path_part(t: &TokenTree) -> bool {
    match t {
        TokenTree::Ident(_) => true,
        TokenTree::Punct(p) => p.as_char() == '>',
        _ => false,
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        for root in use_roots(&u.tree) {
            self.check(root);
        }
        visit::visit_item_use(self, u);
    }

    fn visit_item_extern_crate(&mut self, e: &'ast syn::ItemExternCrate) {
        self.check(&e.ident);
        visit::visit_item_extern_crate(self, e);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        // `kube` alone is a variable; `kube::Client` and `::kube` name the crate.
        if (path.segments.len() > 1 || path.leading_colon.is_some())
            && let Some(first) = path.segments.first()
        {
            self.check(&first.ident);
        }
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.check_tokens(m.tokens.clone());
        visit::visit_macro(self, m);
    }

    fn visit_meta_list(&mut self, m: &'ast syn::MetaList) {
        self.check_tokens(m.tokens.clone());
        visit::visit_meta_list(self, m);
    }
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[test]
fn the_core_and_the_sources_keep_the_dependency_rule() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut violations = Vec::new();
    for (dir, banned) in RULES {
        let files = rust_files(&root.join(dir));
        assert!(
            files.len() >= 5,
            "{dir}: only {} Rust files found; is the checker looking in the right place?",
            files.len()
        );
        for file in files {
            let code = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            let shown = file.strip_prefix(root).unwrap().display().to_string();
            let uses = banned_uses(&code, banned)
                .unwrap_or_else(|e| panic!("{shown}:{}: cannot parse: {e}", e.span().start().line));
            for u in uses {
                violations.push(format!(
                    "{shown}:{}: uses `{}` ({dir} must not use {banned:?})",
                    u.line, u.name
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "the dependency rule is broken:\n{}",
        violations.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The checker itself: it finds every way of reaching a crate, and nothing that is not one.

/// What the checker finds in `code` under the core's rule, as (line, crate).
fn found(code: &str) -> Vec<(usize, String)> {
    banned_uses(code, PURE_CORE)
        .unwrap()
        .into_iter()
        .map(|u| (u.line, u.name))
        .collect()
}

fn expected(uses: &[(usize, &str)]) -> Vec<(usize, String)> {
    uses.iter().map(|(l, n)| (*l, n.to_string())).collect()
}

#[test]
fn the_checker_finds_every_kind_of_use() {
    let code = r#"
use tokio::sync::mpsc;
use {std::fmt, ratatui::Frame};
use crossterm as term;
extern crate kube;
pub type Reply = tokio::sync::oneshot::Sender<()>;
fn f(x: k8s_openapi::api::core::v1::Pod) -> aws_sdk_eks::Client {
    let c = ::aws_config::load();
    tokio_util::sync::CancellationToken::new();
    todo!()
}
#[tokio::test]
async fn t() {
    tokio::select! { _ = kube::runtime::wait() => {} }
    let v = vec![ratatui::text::Line::default()];
}
#[cfg_attr(test, tokio::main)]
fn main() {}
impl<T> Trait for Vec<T> { type X = <T as Tr>::tokio; }
"#;
    assert_eq!(
        found(code),
        expected(&[
            (2, "tokio"),
            (3, "ratatui"),
            (4, "crossterm"),
            (5, "kube"),
            (6, "tokio"),
            (7, "aws_sdk_eks"),
            (7, "k8s_openapi"),
            (8, "aws_config"),
            (9, "tokio_util"),
            (12, "tokio"),
            (14, "kube"),
            (14, "tokio"),
            (15, "ratatui"),
            (17, "tokio"),
        ])
    );
}

#[test]
fn the_checker_ignores_what_is_not_a_use_of_a_crate() {
    let code = r#"
//! Uses tokio::sync and ratatui::Frame — in a comment.
mod kube;
use crate::source::aws;
use crate::x::tokio_like;
/// A doc comment naming kube::Client.
fn f(kube: &str) -> String {
    /* crossterm::event */
    let s = "tokio::spawn";
    let r = r"ratatui::Frame";
    let t = kube::local_module_fn();
    let u = aws::metrics::Watched::default();
    let k = kubernetes_version;
    format!("{kube} tokio::x {}", self::tokio_like::y)
}
"#;
    assert_eq!(found(code), expected(&[]));
}

#[test]
fn the_checker_applies_each_folders_rule() {
    let code = "use tokio::sync::mpsc;\nuse ratatui::Frame;\n";
    let sources = banned_uses(code, &[Banned::Ratatui, Banned::Crossterm]).unwrap();
    assert_eq!(
        sources,
        vec![Use {
            line: 2,
            name: "ratatui".into()
        }]
    );
    assert!(
        banned_uses("fn broken( {", PURE_CORE).is_err(),
        "an unparsable file is an error, not a pass"
    );
}
