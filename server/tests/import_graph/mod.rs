//! Which source file of a crate names which other: the graph behind "no import cycles".
//!
//! Nodes are a crate's module files (`a/b.rs` or `a/b/mod.rs`, the root `lib.rs`); an
//! edge goes from a file to the module file a path in its code names: `crate::a::b::Item`,
//! `super::x`, `self::x`, the groups of a `use` (`crate::{a, b::c}`), and a module a `use`
//! brought in by such a path (`use crate::web;` then `web::login::page`). Each path goes
//! to the longest module file it names, so `crate::page::html::escape` is `page/html.rs`
//! and `crate::page::Reply` is `page/mod.rs`. A `mod x;` declaration is no edge, nor is a
//! child a parent names without `self::` (`login::page` in `web/mod.rs`): that a parent
//! holds its children is the tree, not an import. Comments and string literals are no
//! code; `#[cfg]` is not read, so code for another platform, and tests, count too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module's path from the crate root: `["web", "html"]`.
type ModulePath = Vec<String>;

/// The files of one crate and the module each holds.
pub struct Crate {
    /// Module path → the file's path below `src/`.
    files: BTreeMap<ModulePath, String>,
    /// File → its text.
    texts: BTreeMap<String, String>,
}

impl Crate {
    /// Reads the `.rs` files below `src`, but for the other crate roots there: `main.rs`
    /// and `bin/` are crates of their own that reach the library by its name.
    pub fn read(src: &Path) -> Crate {
        let mut files = BTreeMap::new();
        let mut texts = BTreeMap::new();
        for file in rust_files(src, "") {
            if file == "main.rs" || file.starts_with("bin/") {
                continue;
            }
            let text = std::fs::read_to_string(src.join(&file)).unwrap();
            files.insert(module_of(&file), file.clone());
            texts.insert(file, text);
        }
        assert!(files.contains_key(&Vec::new()), "no lib.rs in {src:?}");
        Crate { files, texts }
    }

    /// Every file and the files its code names.
    pub fn edges(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut edges = BTreeMap::new();
        for (module, file) in &self.files {
            let tokens = tokens(&strip_comments_and_literals(&self.texts[file]));
            let targets = self
                .named_modules(module, &tokens)
                .into_iter()
                .filter_map(|path| self.longest_file(&path))
                .filter(|target| target != file)
                .collect();
            edges.insert(file.clone(), targets);
        }
        edges
    }

    /// The strongly connected components of more than one file, each sorted.
    pub fn cycles(&self) -> Vec<Vec<String>> {
        let edges = self.edges();
        strongly_connected(&edges)
            .into_iter()
            .filter(|component| component.len() > 1)
            .collect()
    }

    /// The file of the longest leading part of `path` that is a module.
    fn longest_file(&self, path: &[String]) -> Option<String> {
        (0..=path.len())
            .rev()
            .find_map(|len| self.files.get(&path[..len]).cloned())
    }

    /// The module paths (from the root) that the code of `module`'s file names.
    fn named_modules(&self, module: &[String], tokens: &[String]) -> Vec<ModulePath> {
        let mut named = Vec::new();
        // Names a `use` brought in for a module: `oidc` → ["oidc"].
        let mut aliases: BTreeMap<String, ModulePath> = BTreeMap::new();
        // Inline modules (`mod tests { … }`) open here: the brace depth inside each.
        let mut inline: Vec<usize> = Vec::new();
        let mut here: ModulePath = module.to_vec();
        let mut depth = 0usize;
        let mut i = 0;
        while i < tokens.len() {
            let token = tokens[i].as_str();
            let after_path_sep = i > 0 && (tokens[i - 1] == "::" || tokens[i - 1] == "$");
            let starts_path = tokens.get(i + 1).is_some_and(|next| next == "::");
            match token {
                "{" => depth += 1,
                "}" => {
                    depth = depth.saturating_sub(1);
                    if inline.last() == Some(&(depth + 1)) {
                        inline.pop();
                        here.pop();
                    }
                }
                "mod" if tokens.get(i + 2).is_some_and(|t| t == "{") => {
                    here.push(tokens[i + 1].clone());
                    depth += 1;
                    inline.push(depth);
                    i += 3;
                    continue;
                }
                _ => {}
            }
            // Where the path starts from, and at which token its own segments begin.
            let base = match token {
                _ if after_path_sep || !starts_path => None,
                "crate" => Some((Vec::new(), i + 2)),
                "self" => Some((here.clone(), i + 2)),
                "super" => {
                    // `super::super::x`
                    let mut base = here[..here.len().saturating_sub(1)].to_vec();
                    let mut j = i + 2;
                    while tokens.get(j).is_some_and(|t| t == "super")
                        && tokens.get(j + 1).is_some_and(|t| t == "::")
                    {
                        base.pop();
                        j += 2;
                    }
                    Some((base, j))
                }
                name => aliases.get(name).map(|module| (module.clone(), i + 2)),
            };
            let Some((base, start)) = base else {
                i += 1;
                continue;
            };
            let in_use = i > 0 && tokens[i - 1] == "use";
            let mut paths = Vec::new();
            i = parse_tree(tokens, start, base, &mut paths);
            self.record(&paths, in_use, &mut aliases, &mut named);
        }
        named
    }

    /// Keeps the paths, and in a `use`, the names it gives to modules.
    fn record(
        &self,
        paths: &[(ModulePath, String)],
        in_use: bool,
        aliases: &mut BTreeMap<String, ModulePath>,
        named: &mut Vec<ModulePath>,
    ) {
        for (path, name) in paths {
            if in_use && self.files.contains_key(path) {
                aliases.insert(name.clone(), path.clone());
            }
            named.push(path.clone());
        }
    }
}

/// Reads a path tree from `tokens[i]` (`a::b::{c, d::e as f, self}`), appending each full
/// path to `prefix` with the name it goes by; answers where the tree ends.
fn parse_tree(
    tokens: &[String],
    mut i: usize,
    mut prefix: ModulePath,
    out: &mut Vec<(ModulePath, String)>,
) -> usize {
    loop {
        match tokens.get(i).map(String::as_str) {
            Some("{") => {
                i += 1;
                while tokens.get(i).is_some_and(|t| t != "}") {
                    if tokens[i] == "," {
                        i += 1;
                        continue;
                    }
                    if tokens[i] == "self" {
                        let name = prefix.last().cloned().unwrap_or_default();
                        i = renamed(tokens, i + 1, name, prefix.clone(), out);
                        continue;
                    }
                    let before = i;
                    i = parse_tree(tokens, i, prefix.clone(), out);
                    if i == before {
                        i += 1;
                    }
                }
                return i + 1;
            }
            Some(segment) if is_ident(segment) => {
                prefix.push(segment.to_owned());
                i += 1;
                if tokens.get(i).is_some_and(|t| t == "::") {
                    i += 1;
                    continue;
                }
                let name = segment.to_owned();
                return renamed(tokens, i, name, prefix, out);
            }
            // `a::*`, `a::<T>`, or nothing: the path ends with its prefix.
            _ => {
                if tokens.get(i).is_some_and(|t| t == "*") {
                    i += 1;
                }
                let name = prefix.last().cloned().unwrap_or_default();
                out.push((prefix, name));
                return i;
            }
        }
    }
}

/// Records `path` under `name`, or under the name an `as` after it gives.
fn renamed(
    tokens: &[String],
    i: usize,
    name: String,
    path: ModulePath,
    out: &mut Vec<(ModulePath, String)>,
) -> usize {
    if tokens.get(i).is_some_and(|t| t == "as") {
        if let Some(alias) = tokens.get(i + 1) {
            out.push((path, alias.clone()));
            return i + 2;
        }
    }
    out.push((path, name));
    i
}

/// The `.rs` files below `dir`, as paths relative to it.
fn rust_files(dir: &Path, prefix: &str) -> Vec<String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            files.extend(rust_files(&path, &format!("{prefix}{name}/")));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(format!("{prefix}{name}"));
        }
    }
    files
}

/// `lib.rs` → [], `a.rs` and `a/mod.rs` → [a], `a/b.rs` → [a, b].
fn module_of(file: &str) -> ModulePath {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if parts == ["lib"] || parts.last().is_some_and(|last| last == "mod") {
        parts.pop();
    }
    parts
}

fn is_ident(token: &str) -> bool {
    token
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Identifiers, `::`, and every other character but white space, one token each.
fn tokens(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push("::".to_owned());
            i += 2;
        } else {
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
            i += 1;
        }
    }
    tokens
}

/// The code with comments, strings and characters taken out (a string leaves `""`), so
/// that a path in a doc comment or a message is no import and a `'{'` opens no block.
fn strip_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                match (chars[i], chars.get(i + 1).copied()) {
                    ('/', Some('*')) => {
                        depth += 1;
                        i += 2;
                    }
                    ('*', Some('/')) => {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => i += 1,
                }
            }
            out.push(' ');
        } else if c == 'r'
            && (i == 0
                || !ident(chars[i - 1])
                || chars[i - 1] == 'b' && (i < 2 || !ident(chars[i - 2])))
            && raw_string_hashes(&chars[i + 1..]).is_some()
        {
            // r"…", r#"…"#, br"…"
            let hashes = raw_string_hashes(&chars[i + 1..]).unwrap();
            i += 2 + hashes;
            while i < chars.len() {
                if chars[i] == '"' && chars[i + 1..].iter().take(hashes).all(|&h| h == '#') {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && next == Some('\\') {
            // '\n', '\'', '\u{…}'
            i += 3;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i += 3;
            out.push_str("' '");
        } else {
            // a lifetime's quote, or code
            out.push(c);
            i += 1;
        }
    }
    out
}

/// After an `r`: the number of `#` before a `"`, if a raw string starts here.
fn raw_string_hashes(rest: &[char]) -> Option<usize> {
    let hashes = rest.iter().take_while(|&&c| c == '#').count();
    (rest.get(hashes) == Some(&'"')).then_some(hashes)
}

/// Tarjan's strongly connected components, each sorted, in a stable order.
fn strongly_connected(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        components: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.edges.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top.to_owned());
                    if top == node {
                        break;
                    }
                }
                component.sort();
                self.components.push(component);
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in edges.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.components.sort();
    walk.components
}
