//! The server's modules depend in one direction (see the crate's documentation): the
//! domain knows nothing of HTTP, `http` nothing of the pages, the pages nothing of the
//! router or the command line. Read from the sources' `use` lines and paths. And no crate
//! of the workspace has a circle of imports between its files.

mod import_graph;

use std::path::Path;

/// What each layer must not name, and the files that may (until a rewrite lands).
const RULES: &[(&str, &[&str], &[&str])] = &[
    (
        "domain",
        &[
            "crate::http",
            "crate::page",
            "crate::signin",
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
        &[
            "crate::page",
            "crate::signin",
            "crate::web",
            "crate::app",
            "crate::commands",
            "crate::cli",
        ],
        &[],
    ),
    (
        "page",
        &[
            "crate::signin",
            "crate::web",
            "crate::oidc",
            "crate::app",
            "crate::commands",
            "crate::cli",
        ],
        &[],
    ),
    (
        "signin.rs",
        &[
            "crate::web",
            "crate::oidc",
            "crate::app",
            "crate::commands",
            "crate::cli",
        ],
        &[],
    ),
    ("web", &["crate::app", "crate::commands", "crate::cli"], &[]),
    (
        "oidc",
        &["crate::web", "crate::app", "crate::commands", "crate::cli"],
        &[],
    ),
];

/// The domain is every module but these files and folders.
const NOT_DOMAIN: &[&str] = &["lib.rs", "main.rs", "app.rs", "cli.rs", "signin.rs"];
const NOT_DOMAIN_DIRS: &[&str] = &["http", "page", "web", "oidc", "commands", "test_support"];

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
            file if file.ends_with(".rs") => {
                vec![(
                    file.into(),
                    std::fs::read_to_string(src.join(file)).unwrap(),
                )]
            }
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

/// No file of a workspace crate names, through others, a file that names it: a circle of
/// imports is a knot that no module of it can be read, tested or moved without the rest.
/// What two files both need goes to a module below both (see `import_graph` for what
/// counts as naming).
#[test]
fn no_crate_has_an_import_cycle() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut cycles = Vec::new();
    for krate in ["protocol", "agent", "server", "tests"] {
        let graph = import_graph::Crate::read(&workspace.join(krate).join("src"));
        for cycle in graph.cycles() {
            cycles.push(format!("{krate}/src: {}", cycle.join(", ")));
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

/// The graph sees a circle through a `use` group, a module a `use` brought in, `super::`
/// and `self::`, and no edge in a comment, a string, a `mod x;` or a test module's
/// `use super::*`.
#[test]
fn the_import_graph_finds_a_circle_and_nothing_else() {
    let src = tempfile::tempdir().unwrap();
    let write = |file: &str, text: &str| {
        let path = src.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("lib.rs", "mod oidc;\nmod page;\nmod web;\n");
    write(
        "page/mod.rs",
        "pub mod html;\n// crate::web::Reply\nconst WEB: &str = \"crate::oidc::x\";\n",
    );
    write("page/html.rs", "pub fn escape() -> char { '{' }\n");
    write(
        "web/mod.rs",
        "mod login;\npub use self::login::f;\npub struct Reply;\n",
    );
    write(
        "web/login.rs",
        "use crate::{oidc, page::html};\npub fn f() { oidc::authorize::go(); html::escape(); }\n",
    );
    write("oidc/mod.rs", "pub mod authorize;\n");
    write(
        "oidc/authorize.rs",
        "pub fn go() -> super::super::web::Reply { todo!() }\n\
         #[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
    );
    let graph = import_graph::Crate::read(src.path());
    let edges = graph.edges();
    let names = |file: &str| edges[file].iter().cloned().collect::<Vec<_>>();
    assert_eq!(names("page/mod.rs"), Vec::<String>::new());
    assert_eq!(names("web/mod.rs"), ["web/login.rs"]);
    assert_eq!(
        names("web/login.rs"),
        ["oidc/authorize.rs", "oidc/mod.rs", "page/html.rs"]
    );
    assert_eq!(names("oidc/authorize.rs"), ["web/mod.rs"]);
    assert_eq!(
        graph.cycles(),
        [["oidc/authorize.rs", "web/login.rs", "web/mod.rs"]]
    );
}
