//! The server's modules depend in one direction (see the crate's documentation): the
//! domain knows nothing of HTTP, `http` nothing of the pages, the pages nothing of the
//! router or the command line. Read from the sources' `use` lines and paths.

use std::path::Path;

/// What each layer must not name, and the files that may (until a rewrite lands).
const RULES: &[(&str, &[&str], &[&str])] = &[
    (
        "domain",
        &[
            "crate::http",
            "crate::web",
            "crate::app",
            "crate::commands",
            "crate::cli",
            "axum",
        ],
        &[],
    ),
    (
        "http",
        &["crate::web", "crate::app", "crate::commands", "crate::cli"],
        &[],
    ),
    ("web", &["crate::app", "crate::commands", "crate::cli"], &[]),
    (
        "oidc",
        &["crate::app", "crate::commands", "crate::cli"],
        &[],
    ),
];

/// The domain is every module but these files and folders.
const NOT_DOMAIN: &[&str] = &["lib.rs", "main.rs", "app.rs", "cli.rs"];
const NOT_DOMAIN_DIRS: &[&str] = &["http", "web", "oidc", "commands", "test_support"];

/// The `.rs` files in `dir` and, but for `skip`, in the folders below it: (path, text).
fn sources_below(dir: &Path, skip: &[&str]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !skip.contains(&name.as_str()) {
                files.extend(
                    sources_below(&path, &[])
                        .into_iter()
                        .map(|(file, text)| (format!("{name}/{file}"), text)),
                );
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push((name, std::fs::read_to_string(&path).unwrap()));
        }
    }
    files
}

/// The lines that are code, not comments.
fn code(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
}

#[test]
fn modules_depend_in_one_direction() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    for &(layer, forbidden, allowed) in RULES {
        let files = match layer {
            "domain" => sources_below(&src, NOT_DOMAIN_DIRS)
                .into_iter()
                .filter(|(name, _)| !NOT_DOMAIN.contains(&name.as_str()))
                .collect(),
            dir => sources_below(&src.join(dir), &[]),
        };
        assert!(!files.is_empty(), "{layer}");
        for (name, text) in files {
            if allowed.contains(&name.as_str()) {
                continue;
            }
            for line in code(&text) {
                if let Some(path) = forbidden.iter().find(|path| line.contains(*path)) {
                    broken.push(format!("{layer} {name}: {path} in {line:?}"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}
