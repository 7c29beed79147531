//! `slot routes --check`: how a proxy's configuration file differs from what
//! the slot map says it should hold.
//!
//! The file is compared with the configuration kickoff would write now, in the
//! same format. Differences are attributed to rules through the marker comment
//! that opens each rule's lines (`# frontend in dev2: https://...`), so the
//! report says which slot and app drifted and how, not only which lines.
//! JSON listings are compared rule by rule on their fields.

use similar::{ChangeTag, TextDiff};
use std::collections::{BTreeMap, BTreeSet};

/// What differs, per rule (`slot/app`) and for the lines outside any rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Drift {
    /// Rules of the map the file lacks.
    pub missing: Vec<String>,
    /// Rules in the file the map does not have.
    pub extra: Vec<String>,
    /// Rules present in both whose lines differ: `-` file, `+` map.
    pub changed: BTreeMap<String, Vec<String>>,
    /// Lines outside any rule that differ.
    pub other: Vec<String>,
}

impl Drift {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty()
            && self.extra.is_empty()
            && self.changed.is_empty()
            && self.other.is_empty()
    }

    /// The report, one item per line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for r in &self.missing {
            out.push_str(&format!("  {r}: missing from the file\n"));
        }
        for r in &self.extra {
            out.push_str(&format!("  {r}: in the file but not in the map\n"));
        }
        for (r, lines) in &self.changed {
            out.push_str(&format!("  {r}: differs\n"));
            for l in lines {
                out.push_str(&format!("      {l}\n"));
            }
        }
        if !self.other.is_empty() {
            out.push_str("  other lines differ:\n");
            for l in &self.other {
                out.push_str(&format!("      {l}\n"));
            }
        }
        out
    }
}

/// The rule a marker line opens (`slot/app`), if `line` is one.
fn marker_of(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix("# ")?;
    let (app, rest) = rest.split_once(" in ")?;
    let (slot, _) = rest.split_once(": ")?;
    let name = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    (name(app) && name(slot)).then(|| format!("{slot}/{app}"))
}

fn rules_of(text: &str) -> BTreeSet<String> {
    text.lines().filter_map(marker_of).collect()
}

/// Compare a text configuration (`actual`, the file) with what the map gives
/// (`expected`, in the same format).
pub fn compare_text(actual: &str, expected: &str) -> Drift {
    let in_file = rules_of(actual);
    let in_map = rules_of(expected);
    let mut d = Drift {
        missing: in_map.difference(&in_file).cloned().collect(),
        extra: in_file.difference(&in_map).cloned().collect(),
        ..Drift::default()
    };
    let diff = TextDiff::from_lines(actual, expected);
    // The rule each side is in, as the diff walks both texts.
    let (mut old_rule, mut new_rule): (Option<String>, Option<String>) = (None, None);
    for change in diff.iter_all_changes() {
        let line = change.value().trim_end().to_string();
        let m = marker_of(&line);
        let rule = match change.tag() {
            ChangeTag::Equal => {
                if m.is_some() {
                    old_rule.clone_from(&m);
                    new_rule.clone_from(&m);
                }
                continue;
            }
            ChangeTag::Delete => {
                if m.is_some() {
                    old_rule.clone_from(&m);
                }
                old_rule.clone()
            }
            ChangeTag::Insert => {
                if m.is_some() {
                    new_rule.clone_from(&m);
                }
                new_rule.clone()
            }
        };
        let sign = if change.tag() == ChangeTag::Delete {
            "-"
        } else {
            "+"
        };
        let shown = format!("{sign} {}", line.trim());
        match rule {
            // Whole rules missing or extra are reported once, not line by line.
            Some(r) if d.missing.contains(&r) || d.extra.contains(&r) => {}
            Some(r) => d.changed.entry(r).or_default().push(shown),
            None => d.other.push(shown),
        }
    }
    d
}

/// Compare a JSON listing (`slot routes --format json`) with the map's, rule
/// by rule.
pub fn compare_json(actual: &str, expected: &serde_json::Value) -> Result<Drift, String> {
    let file: serde_json::Value =
        serde_json::from_str(actual).map_err(|e| format!("not a JSON route listing: {e}"))?;
    let rules = |v: &serde_json::Value| -> Result<BTreeMap<String, serde_json::Value>, String> {
        let list = v
            .get("routes")
            .and_then(|r| r.as_array())
            .ok_or("no \"routes\" list")?;
        list.iter()
            .map(|r| {
                let key = format!(
                    "{}/{}",
                    r.get("slot").and_then(|s| s.as_str()).unwrap_or("?"),
                    r.get("app").and_then(|s| s.as_str()).unwrap_or("?")
                );
                Ok((key, r.clone()))
            })
            .collect()
    };
    let (in_file, in_map) = (rules(&file)?, rules(expected)?);
    let mut d = Drift::default();
    for (k, want) in &in_map {
        match in_file.get(k) {
            None => d.missing.push(k.clone()),
            Some(have) if have != want => {
                let mut lines = Vec::new();
                for (field, w) in want.as_object().into_iter().flatten() {
                    let h = have.get(field).unwrap_or(&serde_json::Value::Null);
                    if h != w {
                        lines.push(format!("- {field}: {h}"));
                        lines.push(format!("+ {field}: {w}"));
                    }
                }
                d.changed.insert(k.clone(), lines);
            }
            Some(_) => {}
        }
    }
    d.extra = in_file
        .keys()
        .filter(|k| !in_map.contains_key(*k))
        .cloned()
        .collect();
    for field in ["listen", "upstream"] {
        if file.get(field) != expected.get(field) {
            d.other.push(format!(
                "- {field}: {}",
                file.get(field).unwrap_or(&serde_json::Value::Null)
            ));
            d.other.push(format!("+ {field}: {}", expected[field]));
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: &str = "head\n# web in dev1: http://a/\nlocation / {\n  proxy_pass http://127.0.0.1:3001;\n}\n# web in dev2: http://b/\nlocation / {\n  proxy_pass http://127.0.0.1:3002;\n}\n";

    #[test]
    fn same_text_has_no_drift() {
        assert!(compare_text(MAP, MAP).is_empty());
    }

    #[test]
    fn drift_is_attributed_to_rules() {
        let file = MAP.replace("3002", "3009").replace("head", "head changed");
        let d = compare_text(&file, MAP);
        assert!(d.missing.is_empty() && d.extra.is_empty(), "{d:?}");
        assert_eq!(
            d.changed["dev2/web"],
            vec![
                "- proxy_pass http://127.0.0.1:3009;",
                "+ proxy_pass http://127.0.0.1:3002;"
            ]
        );
        assert_eq!(d.other, vec!["- head changed", "+ head"]);
        let cut = MAP.split("# web in dev2").next().unwrap().to_string()
            + "# web in dev3: http://c/\nlocation / {}\n";
        let d = compare_text(&cut, MAP);
        assert_eq!(d.missing, vec!["dev2/web"]);
        assert_eq!(d.extra, vec!["dev3/web"]);
        assert!(d.changed.is_empty(), "{d:?}");
    }
}
