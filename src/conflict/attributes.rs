//! Merge attributes, read from the places `git merge-tree` reads them.
//!
//! In a repository with a work tree git takes `.gitattributes` from the work
//! tree (falling back to the index for a directory whose file is not checked
//! out), or from the tree named by `GIT_ATTR_SOURCE` / `attr.tree` when set;
//! `$GIT_DIR/info/attributes` overrides them and `core.attributesFile` (by
//! default `$XDG_CONFIG_HOME/git/attributes`) comes below them. Attributes do
//! not depend on the commits merged: they are one setting of the whole run,
//! and part of the verdict cache's key through [`Attributes::fingerprint`].
//!
//! Pattern matching, precedence and macros (`binary` is `-diff -merge
//! -text`) are git's, through the `gix-attributes` crate. What matters for a
//! merge is the `merge` attribute, resolved to a [`Driver`] the way git's
//! `ll-merge.c` does (`merge.default`, builtin and configured drivers).

use crate::git::Repo;
use gix_attributes::glob::pattern::Case;
use gix_attributes::search::{MetadataCollection, Outcome};
use gix_attributes::{Search, StateRef};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How git merges a file's contents.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Driver {
    /// The builtin three-way text merge (binary contents conflict).
    Text,
    /// `merge=binary`, `-merge`, `binary`: a conflict whenever both sides changed.
    Binary,
    /// `merge=union`: both sides' lines, never a conflict in text.
    Union,
    /// A driver configured as `merge.<name>.*`: git runs it.
    External(String),
}

/// Where the `.gitattributes` files come from.
#[derive(Debug, Clone)]
enum Source {
    /// The work tree, else the index.
    Worktree {
        workdir: PathBuf,
        /// Index entries of `.gitattributes` files: directory -> blob.
        index: HashMap<String, git2::Oid>,
    },
    /// A tree (`attr.tree`, `GIT_ATTR_SOURCE`); `None` is git's empty tree
    /// for a value that names no tree.
    Tree(Option<git2::Oid>),
}

/// The merge attributes of a repository, for any path.
pub struct Attributes {
    source: Source,
    /// `core.attributesFile`, lowest precedence.
    global: Option<(PathBuf, Vec<u8>)>,
    /// `$GIT_DIR/info/attributes`, highest precedence.
    info: Option<Vec<u8>>,
    case: Case,
    /// Names with any `merge.<name>.*` setting.
    configured: BTreeSet<String>,
    default: Option<String>,
    /// `.gitattributes` text per directory ("" is the top), read lazily.
    dirs: Mutex<HashMap<String, Option<Vec<u8>>>>,
    drivers: Mutex<HashMap<String, Driver>>,
    fingerprint: String,
}

impl std::fmt::Debug for Attributes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attributes")
            .field("source", &self.source)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

fn read_file(path: &Path) -> Option<Vec<u8>> {
    // git does not follow symbolic links for in-tree attribute files.
    let meta = std::fs::symlink_metadata(path).ok()?;
    meta.is_file().then(|| std::fs::read(path).ok()).flatten()
}

/// `core.attributesFile`, or its XDG default.
fn global_file(repo: &Repo) -> crate::git::Result<Option<PathBuf>> {
    if let Some(p) = repo.config_string("core.attributesFile")? {
        return Ok(Some(match p.strip_prefix("~/") {
            Some(rest) => std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(rest))
                .unwrap_or_else(|| p.clone().into()),
            None => p.into(),
        }));
    }
    if let Some(xdg) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Ok(Some(PathBuf::from(xdg).join("git").join("attributes")));
    }
    Ok(std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/git/attributes")))
}

fn blob_at(repo: &Repo, tree: git2::Oid, path: &str) -> Option<Vec<u8>> {
    match repo.path_kind(tree, path).ok()? {
        crate::git::merge::PathKind::Blob(e) if e.kind() == crate::git::merge::EntryType::File => {
            repo.blob_content(e.oid).ok()
        }
        _ => None,
    }
}

impl Attributes {
    /// The attributes `git merge-tree` would use in this repository now.
    pub fn for_repo(repo: &Repo) -> crate::git::Result<Attributes> {
        let tree_source = match std::env::var("GIT_ATTR_SOURCE").ok() {
            Some(v) => Some(v),
            None => repo.config_string("attr.tree")?,
        };
        let source = match tree_source {
            Some(rev) => Source::Tree(repo.tree_of_rev(&rev)),
            None => {
                let index = repo.index_attribute_files();
                Source::Worktree {
                    workdir: repo.workdir().to_path_buf(),
                    index,
                }
            }
        };
        let global = global_file(repo)?.and_then(|p| read_file(&p).map(|d| (p, d)));
        let info = read_file(&repo.common_dir().join("info").join("attributes"));
        let case = match repo.config_string("core.ignoreCase")?.as_deref() {
            Some(v) if matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1") => {
                Case::Fold
            }
            _ => Case::Sensitive,
        };
        let mut configured = BTreeSet::new();
        for name in repo.config_names_matching(r"^merge\..+\..+$") {
            let inner = &name["merge.".len()..];
            if let Some(cut) = inner.rfind('.') {
                configured.insert(inner[..cut].to_string());
            }
        }
        let default = repo.config_string("merge.default")?;
        let mut attrs = Attributes {
            source,
            global,
            info,
            case,
            configured,
            default,
            dirs: Mutex::new(HashMap::new()),
            drivers: Mutex::new(HashMap::new()),
            fingerprint: String::new(),
        };
        attrs.fingerprint = attrs.compute_fingerprint(repo);
        Ok(attrs)
    }

    /// A digest of every input of the attributes known before any lookup:
    /// the sources' texts, the tracked `.gitattributes` files (as checked
    /// out, else as staged) and the merge driver settings.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    fn compute_fingerprint(&self, repo: &Repo) -> String {
        let mut text: Vec<u8> = Vec::new();
        let mut add = |label: &str, data: &[u8]| {
            text.extend_from_slice(format!("{label}:{}\n", data.len()).as_bytes());
            text.extend_from_slice(data);
        };
        match &self.source {
            Source::Worktree { index, .. } => {
                let mut dirs: Vec<&String> = index.keys().collect();
                dirs.sort();
                for dir in dirs {
                    let data = self.dir_text(repo, dir).unwrap_or_default();
                    add(&format!("dir {dir}"), &data);
                }
                if !index.contains_key("") {
                    add("top", &self.dir_text(repo, "").unwrap_or_default());
                }
            }
            Source::Tree(t) => add(
                "tree",
                t.map(|t| t.to_string()).unwrap_or_default().as_bytes(),
            ),
        }
        add("global", self.global.as_ref().map_or(&[][..], |g| &g.1));
        add("info", self.info.as_deref().unwrap_or_default());
        add(&format!("case {:?}", self.case), b"");
        for c in &self.configured {
            add("driver", c.as_bytes());
        }
        add(
            "default",
            self.default.as_deref().unwrap_or_default().as_bytes(),
        );
        git2::Oid::hash_object(git2::ObjectType::Blob, &text)
            .map(|o| o.to_string()[..16].to_string())
            .unwrap_or_default()
    }

    /// The `.gitattributes` text of a directory ("" for the top), as git
    /// reads it.
    fn dir_text(&self, repo: &Repo, dir: &str) -> Option<Vec<u8>> {
        if let Some(t) = self.dirs.lock().expect("attributes").get(dir) {
            return t.clone();
        }
        let file = if dir.is_empty() {
            ".gitattributes".to_string()
        } else {
            format!("{dir}/.gitattributes")
        };
        let text = match &self.source {
            Source::Worktree { workdir, index } => read_file(&workdir.join(&file))
                .or_else(|| index.get(dir).and_then(|oid| repo.blob_content(*oid).ok())),
            Source::Tree(Some(tree)) => blob_at(repo, *tree, &file),
            Source::Tree(None) => None,
        };
        self.dirs
            .lock()
            .expect("attributes")
            .insert(dir.to_string(), text.clone());
        text
    }

    /// The merge driver git uses for `path`.
    pub fn driver(&self, repo: &Repo, path: &str) -> Driver {
        if let Some(d) = self.drivers.lock().expect("attributes").get(path) {
            return d.clone();
        }
        let d = self.resolve(self.merge_attribute(repo, path));
        self.drivers
            .lock()
            .expect("attributes")
            .insert(path.to_string(), d.clone());
        d
    }

    /// The state of the `merge` attribute on `path`.
    fn merge_attribute(&self, repo: &Repo, path: &str) -> MergeAttr {
        let mut collection = MetadataCollection::default();
        let mut buf = Vec::new();
        let mut search = match Search::new_globals(
            self.global.iter().map(|g| g.0.clone()),
            &mut buf,
            &mut collection,
        ) {
            Ok(s) => s,
            Err(_) => return MergeAttr::Unspecified,
        };
        // Top directory first: deeper files take precedence, then info/.
        let mut dirs: Vec<&str> = vec![""];
        let mut at = 0;
        while let Some(i) = path[at..].find('/') {
            dirs.push(&path[..at + i]);
            at += i + 1;
        }
        for dir in dirs {
            if let Some(text) = self.dir_text(repo, dir) {
                let source = if dir.is_empty() {
                    PathBuf::from(".gitattributes")
                } else {
                    PathBuf::from(format!("{dir}/.gitattributes"))
                };
                // Macros may only be defined at the top.
                search.add_patterns_buffer(
                    &text,
                    source,
                    Some(Path::new("")),
                    &mut collection,
                    dir.is_empty(),
                );
            }
        }
        if let Some(info) = &self.info {
            search.add_patterns_buffer(info, "info/attributes".into(), None, &mut collection, true);
        }
        let mut out = Outcome::default();
        out.initialize_with_selection(&collection, ["merge"]);
        search.pattern_matching_relative_path(
            path.as_bytes().into(),
            self.case,
            Some(false),
            &mut out,
        );
        let state = out.iter_selected().next().map(|m| m.assignment.state);
        match state {
            Some(StateRef::Set) => MergeAttr::Set,
            Some(StateRef::Unset) => MergeAttr::Unset,
            Some(StateRef::Value(v)) => MergeAttr::Value(v.as_bstr().to_string()),
            Some(StateRef::Unspecified) | None => MergeAttr::Unspecified,
        }
    }

    /// git's `find_ll_merge_driver`.
    fn resolve(&self, attr: MergeAttr) -> Driver {
        let name = match attr {
            MergeAttr::Set => return Driver::Text,
            MergeAttr::Unset => return Driver::Binary,
            MergeAttr::Unspecified => match &self.default {
                None => return Driver::Text,
                Some(name) => name.clone(),
            },
            MergeAttr::Value(v) => v,
        };
        if self.configured.contains(&name) {
            return Driver::External(name);
        }
        match name.as_str() {
            "binary" => Driver::Binary,
            "union" => Driver::Union,
            // "text", and any name git knows no driver for.
            _ => Driver::Text,
        }
    }
}

/// The state of the `merge` attribute on one path.
#[derive(Debug, PartialEq, Eq)]
enum MergeAttr {
    Set,
    Unset,
    Value(String),
    Unspecified,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(
        top: &str,
        sub: &[(&str, &str)],
        info: Option<&str>,
        configured: &[&str],
    ) -> Attributes {
        let mut dirs: HashMap<String, Option<Vec<u8>>> = HashMap::new();
        dirs.insert(String::new(), Some(top.as_bytes().to_vec()));
        for (d, t) in sub {
            dirs.insert(d.to_string(), Some(t.as_bytes().to_vec()));
        }
        Attributes {
            source: Source::Tree(None),
            global: None,
            info: info.map(|i| i.as_bytes().to_vec()),
            case: Case::Sensitive,
            configured: configured.iter().map(|s| s.to_string()).collect(),
            default: None,
            dirs: Mutex::new(dirs),
            drivers: Mutex::new(HashMap::new()),
            fingerprint: String::new(),
        }
    }

    fn driver(a: &Attributes, path: &str) -> Driver {
        // Every directory text is preloaded: the repository is never read.
        let dir = tempfile::tempdir().unwrap();
        git2::Repository::init(dir.path()).unwrap();
        let repo = Repo::discover(dir.path()).unwrap();
        for d in path.match_indices('/').map(|(i, _)| &path[..i]) {
            a.dirs.lock().unwrap().entry(d.to_string()).or_insert(None);
        }
        a.driver(&repo, path)
    }

    #[test]
    fn drivers_as_git_resolves_them() {
        let a = attrs(
            "Cargo.lock merge=binary\n*.md merge=union\n*.png binary\n*.gen -merge\n*.txt merge\n*.x merge=mine\n*.y merge=nosuch\n# merge=binary in a comment\nmerge-notes.txt text\n",
            &[("docs", "*.md -merge\n")],
            None,
            &["mine"],
        );
        assert_eq!(driver(&a, "Cargo.lock"), Driver::Binary);
        assert_eq!(driver(&a, "sub/Cargo.lock"), Driver::Binary);
        assert_eq!(driver(&a, "CHANGELOG.md"), Driver::Union);
        assert_eq!(
            driver(&a, "docs/CHANGELOG.md"),
            Driver::Binary,
            "deeper file wins"
        );
        assert_eq!(
            driver(&a, "img/a.png"),
            Driver::Binary,
            "binary macro unsets merge"
        );
        assert_eq!(driver(&a, "a.gen"), Driver::Binary);
        assert_eq!(driver(&a, "a.txt"), Driver::Text);
        assert_eq!(driver(&a, "a.x"), Driver::External("mine".into()));
        assert_eq!(
            driver(&a, "a.y"),
            Driver::Text,
            "unknown driver names fall back to text"
        );
        assert_eq!(
            driver(&a, "merge-notes.txt"),
            Driver::Text,
            "a name that mentions merge is no driver"
        );
        assert_eq!(driver(&a, "src/main.rs"), Driver::Text);
    }

    #[test]
    fn info_attributes_override_and_macros_only_at_the_top() {
        let a = attrs(
            "[attr]lockfile merge=binary\n*.lock lockfile\n",
            &[("sub", "[attr]mine merge=union\n*.u mine\n")],
            Some("keep.lock merge=union\n"),
            &[],
        );
        assert_eq!(driver(&a, "x.lock"), Driver::Binary);
        assert_eq!(driver(&a, "keep.lock"), Driver::Union);
        assert_eq!(
            driver(&a, "sub/a.u"),
            Driver::Text,
            "macros in subdirectories are ignored"
        );
    }
}
