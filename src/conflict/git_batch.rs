//! git's own verdict for the pairs the engine cannot decide exactly.
//!
//! All such pairs go to one `git merge-tree --write-tree --name-only
//! --messages -z --stdin` process. `--write-tree` stores the merged trees and
//! blobs; they go to a temporary object directory that uses the repository's
//! object directory as an alternate (`GIT_OBJECT_DIRECTORY`,
//! `GIT_ALTERNATE_OBJECT_DIRECTORIES`), removed afterwards, so the
//! repository's object store stays byte-for-byte as it was.
//!
//! Pairs are given by commit id; git names the sides of a conflict moved
//! aside (`path~<name>`) by what it was given, so `~<oid>` is renamed back to
//! the tip's label, which is the name git would have used for the branch.

use super::{ConflictKind, ConflictPath, Outcome, Tip};
use crate::git::Repo;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::Stdio;

/// git's verdicts for `pairs`, in order. A pair git could not merge is
/// [`Outcome::Unknown`] with git's message; when git cannot run at all,
/// every pair is.
pub fn decide(repo: &Repo, pairs: &[(&Tip, &Tip)]) -> Vec<Outcome> {
    if pairs.is_empty() {
        return Vec::new();
    }
    match run(repo, pairs) {
        Ok(v) => v,
        Err(why) => pairs
            .iter()
            .map(|_| Outcome::Unknown(format!("git merge-tree failed: {why}")))
            .collect(),
    }
}

fn run(repo: &Repo, pairs: &[(&Tip, &Tip)]) -> std::result::Result<Vec<Outcome>, String> {
    let objects = match std::env::var_os("GIT_OBJECT_DIRECTORY") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => repo.common_dir().join("objects"),
    };
    let mut alternates = std::ffi::OsString::from(&objects);
    if let Some(more) = std::env::var_os("GIT_ALTERNATE_OBJECT_DIRECTORIES") {
        alternates.push(":");
        alternates.push(more);
    }
    let quarantine = tempfile::Builder::new()
        .prefix("kickoff-merge-tree-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary object directory: {e}"))?;
    let mut child = repo
        .git_command([
            "merge-tree",
            "--write-tree",
            "--name-only",
            "--messages",
            "-z",
            "--stdin",
        ])
        .env("GIT_OBJECT_DIRECTORY", quarantine.path())
        .env("GIT_ALTERNATE_OBJECT_DIRECTORIES", alternates)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let input: Vec<u8> = pairs
        .iter()
        .flat_map(|(a, b)| format!("{} {}\n", a.oid, b.oid).into_bytes())
        .collect();
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stderr = child.stderr.take().expect("piped stderr");
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut out = Vec::new();
    child
        .stdout
        .take()
        .expect("piped stdout")
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot read git's output: {e}"))?;
    let status = child.wait().map_err(|e| e.to_string())?;
    let _ = writer.join();
    let stderr = err_reader.join().unwrap_or_default();
    let mut outcomes = parse(&out, pairs);
    if outcomes.len() < pairs.len() {
        let why = stderr.trim();
        let why = if why.is_empty() {
            format!("git merge-tree exited with {status}")
        } else {
            why.to_string()
        };
        while outcomes.len() < pairs.len() {
            outcomes.push(Outcome::Unknown(format!("git could not merge: {why}")));
        }
    }
    Ok(outcomes)
}

/// Read `merge-tree -z --messages --stdin` records: status, tree, conflicted
/// paths, an empty field, then messages (`count`, `count` paths, type,
/// text) up to an empty field.
fn parse(out: &[u8], pairs: &[(&Tip, &Tip)]) -> Vec<Outcome> {
    let fields: Vec<&[u8]> = out.split(|b| *b == 0).collect();
    let text = |f: &[u8]| String::from_utf8_lossy(f).into_owned();
    let mut at = 0;
    let mut outcomes = Vec::new();
    for (a, b) in pairs {
        let Some(status) = fields.get(at) else { break };
        let clean = match *status {
            b"1" => true,
            b"0" => false,
            _ => break,
        };
        at += 2; // status, tree
        let mut paths = Vec::new();
        while let Some(f) = fields.get(at) {
            at += 1;
            if f.is_empty() {
                break;
            }
            paths.push(text(f));
        }
        // Messages: the kind of each conflicted path.
        let mut kinds: BTreeMap<String, ConflictKind> = BTreeMap::new();
        while let Some(f) = fields.get(at) {
            at += 1;
            if f.is_empty() {
                break;
            }
            let Ok(n) = text(f).parse::<usize>() else {
                break;
            };
            let named: Vec<String> = fields
                .get(at..at + n)
                .unwrap_or_default()
                .iter()
                .map(|p| text(p))
                .collect();
            at += n;
            let kind = fields.get(at).map(|t| text(t)).unwrap_or_default();
            at += 2; // type, message
            if let Some(kind) = kind_of(&kind) {
                for p in named {
                    kinds.entry(p).or_insert(kind);
                }
            }
        }
        if clean {
            outcomes.push(Outcome::Clean);
            continue;
        }
        let mut list: Vec<ConflictPath> = paths
            .into_iter()
            .map(|p| {
                let kind = kinds.get(&p).copied().unwrap_or_else(|| {
                    if p.contains('~') {
                        ConflictKind::FileDirectory
                    } else {
                        ConflictKind::Content
                    }
                });
                ConflictPath {
                    path: relabel(&p, a, b),
                    kind,
                }
            })
            .collect();
        list.sort();
        list.dedup_by(|x, y| x.path == y.path);
        outcomes.push(Outcome::Conflict(list));
    }
    outcomes
}

/// The kind of conflict a merge-ort message type stands for.
fn kind_of(kind: &str) -> Option<ConflictKind> {
    let k = kind.strip_prefix("CONFLICT")?;
    Some(if k.contains("modify/delete") {
        ConflictKind::ModifyDelete
    } else if k.contains("binary") {
        ConflictKind::Binary
    } else if k.contains("file/directory") || k.contains("file in way") {
        ConflictKind::FileDirectory
    } else if k.contains("distinct") {
        ConflictKind::DistinctTypes
    } else if k.contains("rename") {
        ConflictKind::Rename
    } else if k.contains("add/add") {
        ConflictKind::AddAdd
    } else {
        ConflictKind::Content
    })
}

/// `path~<oid>` (or `path~<oid>_N`) named by the tip's label instead.
fn relabel(path: &str, a: &Tip, b: &Tip) -> String {
    for t in [a, b] {
        let oid = t.oid.to_string();
        let marker = format!("~{oid}");
        if let Some(i) = path.rfind(&marker) {
            let rest = &path[i + marker.len()..];
            if rest.is_empty() || rest.starts_with('_') {
                return format!("{}~{}{rest}", &path[..i], t.label);
            }
        }
    }
    path.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::Oid;

    #[test]
    fn records_with_paths_kinds_and_clean_ones() {
        let a = Tip::new("kickoff-a", Oid::from_bytes(&[1; 20]).unwrap());
        let b = Tip::new("main", Oid::from_bytes(&[2; 20]).unwrap());
        let out = format!(
            "0\0tree1\0f.txt\0d~{}\0\0\
             1\0f.txt\0Auto-merging\0Auto-merging f.txt\n\0\
             1\0f.txt\0CONFLICT (contents)\0Merge conflict in f.txt\n\0\
             2\0d\0d~{}\0CONFLICT (file/directory)\0directory in the way\n\0\0\
             1\0tree2\0\0\0",
            a.oid, a.oid
        );
        let pairs = [(&a, &b), (&b, &a)];
        let got = parse(out.as_bytes(), &pairs);
        assert_eq!(
            got,
            vec![
                Outcome::Conflict(vec![
                    ConflictPath {
                        path: "d~kickoff-a".into(),
                        kind: ConflictKind::FileDirectory
                    },
                    ConflictPath {
                        path: "f.txt".into(),
                        kind: ConflictKind::Content
                    },
                ]),
                Outcome::Clean,
            ]
        );
    }

    #[test]
    fn truncated_output_leaves_pairs_undecided() {
        let a = Tip::new("a", Oid::from_bytes(&[1; 20]).unwrap());
        let pairs = [(&a, &a), (&a, &a)];
        assert_eq!(parse(b"1\0tree\0\0\0", &pairs), vec![Outcome::Clean]);
    }
}
