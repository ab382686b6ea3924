//! The layers hold: which top-level module may use which, read from the source itself.
//!
//! `domain` is pure and uses nothing else; `command` and `store` build on it; `view` (what
//! use cases answer) sits below `render` and `app`; transports (`slack`, `console`) call
//! `app` and never the store. A `use` that breaks this fails here with the file that made it,
//! before it becomes a cycle somebody has to untangle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each top-level module may use (besides itself). A module missing here may use
/// anything: the binary's glue (`cli`, `doctor`, `healthcheck`).
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("command", &["domain"]),
    ("store", &["domain"]),
    ("view", &["domain", "command", "store"]),
    ("render", &["domain", "command", "view"]),
    ("metrics", &["store"]),
    ("fetch", &[]),
    (
        "app",
        &["domain", "command", "store", "view", "render", "fetch"],
    ),
    ("github", &["app", "domain"]),
    (
        "slack",
        &[
            "app", "domain", "command", "view", "render", "metrics", "github",
        ],
    ),
    (
        "console",
        &["app", "domain", "command", "view", "render", "github"],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/app/commands.rs` → `app`, `src/view.rs` →
/// `view`; `None` for the crate roots.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_string())
}

/// Every `crate::<module>` a file names outside comments, with its line.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push((number + 1, name));
            }
            rest = after;
        }
    }
    found
}

/// Which module uses which, with one place each use was made.
fn module_graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read source");
        for (line, used) in crate_paths(&text) {
            if used != module {
                graph
                    .entry(module.clone())
                    .or_default()
                    .entry(used)
                    .or_insert_with(|| {
                        let shown = file.strip_prefix(root).unwrap_or(&file);
                        format!("{}:{line}", shown.display())
                    });
            }
        }
    }
    graph
}

#[test]
fn each_module_uses_only_the_layers_below_it() {
    let graph = module_graph();
    let mut broken = Vec::new();
    for (module, allowed) in ALLOWED {
        for (used, place) in graph.get(*module).into_iter().flatten() {
            if !allowed.contains(&used.as_str()) {
                broken.push(format!("{module} uses {used} ({place})"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "layer rules broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = module_graph();
    // Depth-first search for a back edge; the path is reported when one is found.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flat_map(|uses| uses.keys()) {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        let cycle = visit(module, &graph, &mut Vec::new(), &mut done);
        assert!(
            cycle.is_none(),
            "import cycle: {}",
            cycle.unwrap_or_default().join(" → ")
        );
    }
}

#[test]
fn the_checker_sees_uses_and_ignores_comments() {
    let found = crate_paths(
        "use crate::app::App; // crate::store is not used\nlet x = crate::domain::week::x();",
    );
    assert_eq!(
        found,
        vec![(1, "app".to_string()), (2, "domain".to_string())]
    );
}
