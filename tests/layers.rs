//! The layers of docs/architecture.md, read from the source: every
//! `crate::<module>` a top-level module names is an edge. The settings
//! (`config`) are assembled from the sections the domain modules own, so no
//! path may lead from what `config` uses back to `config`; and no domain
//! module reaches up into `commands` or `cli`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module -> the top-level modules it names as `crate::<name>`.
fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let first = rel.components().next().unwrap().as_os_str();
            let module = first.to_str().unwrap().trim_end_matches(".rs").to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let targets = out.entry(module.clone()).or_default();
            for (i, _) in text.match_indices("crate::") {
                let name: String = text[i + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module && name != "git2" {
                    targets.insert(name);
                }
            }
        }
    }
    out
}

fn reachable(edges: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(m) = todo.pop() {
        for next in edges.get(&m).into_iter().flatten() {
            if seen.insert(next.clone()) {
                todo.push(next.clone());
            }
        }
    }
    seen
}

fn listing(edges: &BTreeMap<String, BTreeSet<String>>) -> String {
    edges
        .iter()
        .map(|(m, t)| format!("{m} -> {}", t.iter().cloned().collect::<Vec<_>>().join(" ")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn no_import_cycle_runs_through_config() {
    let edges = edges();
    assert!(edges.contains_key("config") && edges.contains_key("slots"));
    let back: Vec<String> = reachable(&edges, "config")
        .into_iter()
        .filter(|m| reachable(&edges, m).contains("config"))
        .collect();
    assert!(
        back.is_empty(),
        "modules config uses that lead back to config: {back:?}\n{}",
        listing(&edges)
    );
}

#[test]
fn domain_modules_do_not_reach_up_into_commands_or_cli() {
    let edges = edges();
    for (module, targets) in &edges {
        if ["main", "cli", "commands", "lib"].contains(&module.as_str()) {
            continue;
        }
        let up: Vec<&String> = targets
            .iter()
            .filter(|t| *t == "commands" || *t == "cli")
            .collect();
        assert!(up.is_empty(), "{module} -> {up:?}\n{}", listing(&edges));
    }
}

#[test]
fn commands_do_not_reach_back_into_cli() {
    let edges = edges();
    assert!(
        !edges["commands"].contains("cli"),
        "commands -> cli: name `crate::commands::Global` instead\n{}",
        listing(&edges)
    );
}

#[test]
fn no_top_level_module_reaches_itself() {
    let edges = edges();
    let circular: Vec<&String> = edges
        .keys()
        .filter(|m| reachable(&edges, m).contains(*m))
        .collect();
    assert!(
        circular.is_empty(),
        "modules on an import cycle: {circular:?}\n{}",
        listing(&edges)
    );
}
