//! Git verbs for the shared state under `refs/kickoff/state`: trees of plain
//! files built in memory, commits on a chain, fetching the remote's chain into
//! a private tracking ref and pushing so that the remote accepts only a
//! fast-forward. Also the lookups a deployment record needs (platform tag on
//! a commit, tickets of a kickoff).

use super::{GitError, Repo, Result};
use git2::{ObjectType, Oid, Sort};
use std::collections::BTreeMap;

/// What a push of the state ref came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    Accepted,
    /// The remote refused it because it moved (or its ref was locked by
    /// another push at that moment): fetch and retry.
    Rejected(String),
    /// The remote refused it for another reason (a hook, a permission): what
    /// it said. Retrying cannot help.
    Refused(String),
}

/// What a tree entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file (mode 100644 or 100755).
    File,
    /// Anything else: a subtree, a symlink, a submodule.
    Other,
}

/// One entry of a state tree, as found.
#[derive(Debug, Clone)]
pub struct RawEntry<K> {
    /// The path from the root, `/`-separated, as raw bytes.
    pub path: Vec<u8>,
    pub kind: EntryKind,
    /// The size of the blob (files only).
    pub size: u64,
    /// The caller's handle (an object id).
    pub key: K,
}

/// A commit as the state history shows it.
#[derive(Debug, Clone)]
pub struct CommitInfo {
    pub time: i64,
    pub name: String,
    pub email: String,
    pub message: String,
    pub parent: Option<Oid>,
}

impl Repo {
    /// The entries of a state commit's tree without reading any blob: the
    /// root's entries and those of its subtrees one level down (the layout
    /// has no deeper level; a deeper subtree is reported as one entry).
    pub fn state_entries(&self, commit: Oid) -> Result<Vec<RawEntry<Oid>>> {
        let repo = self.raw();
        let odb = repo.odb()?;
        let tree = repo.find_commit(commit)?.tree()?;
        let mut out = Vec::new();
        let mut push = |prefix: &[u8], e: &git2::TreeEntry| -> Result<()> {
            let mut path = prefix.to_vec();
            path.extend_from_slice(e.name_bytes());
            let file =
                e.kind() == Some(ObjectType::Blob) && matches!(e.filemode(), 0o100644 | 0o100755);
            let size = if file {
                odb.read_header(e.id())?.0 as u64
            } else {
                0
            };
            out.push(RawEntry {
                path,
                kind: if file {
                    EntryKind::File
                } else {
                    EntryKind::Other
                },
                size,
                key: e.id(),
            });
            Ok(())
        };
        for e in tree.iter() {
            if e.kind() == Some(ObjectType::Tree)
                && matches!(e.name_bytes(), b"slots" | b"deployments")
            {
                let sub = repo.find_tree(e.id())?;
                let mut prefix = e.name_bytes().to_vec();
                prefix.push(b'/');
                for s in sub.iter() {
                    push(&prefix, &s)?;
                }
            } else {
                push(b"", &e)?;
            }
        }
        Ok(out)
    }

    /// The size of an object, read from its header only.
    pub fn object_size(&self, oid: Oid) -> Result<u64> {
        Ok(self.raw().odb()?.read_header(oid)?.0 as u64)
    }

    /// Write a blob; its id.
    pub fn write_blob(&self, content: &[u8]) -> Result<Oid> {
        Ok(self.raw().blob(content)?)
    }

    /// A commit on `parent` whose tree holds exactly `files` (path -> blob,
    /// `dir/name` at most one level deep); no ref moves.
    pub fn write_state_commit(
        &self,
        parent: Option<Oid>,
        files: &BTreeMap<String, Oid>,
        message: &str,
    ) -> Result<Oid> {
        let repo = self.raw();
        let mut dirs: BTreeMap<&str, Vec<(&str, Oid)>> = BTreeMap::new();
        let mut root = repo.treebuilder(None)?;
        for (path, oid) in files {
            match path.split_once('/') {
                Some((dir, name)) => dirs.entry(dir).or_default().push((name, *oid)),
                None => {
                    root.insert(path.as_str(), *oid, 0o100644)?;
                }
            }
        }
        for (dir, entries) in dirs {
            let mut sub = repo.treebuilder(None)?;
            for (name, oid) in entries {
                sub.insert(name, oid, 0o100644)?;
            }
            root.insert(dir, sub.write()?, 0o040000)?;
        }
        let tree = repo.find_tree(root.write()?)?;
        let sig = self.signature()?;
        let parents = match parent {
            Some(p) => vec![repo.find_commit(p)?],
            None => vec![],
        };
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        Ok(repo.commit(None, &sig, &sig, message, &tree, &refs)?)
    }

    /// Who made a commit, when, its message and first parent.
    pub fn commit_info(&self, oid: Oid) -> Result<CommitInfo> {
        let c = self.raw().find_commit(oid)?;
        let who = c.committer();
        Ok(CommitInfo {
            time: who.when().seconds(),
            name: String::from_utf8_lossy(who.name_bytes()).into_owned(),
            email: String::from_utf8_lossy(who.email_bytes()).into_owned(),
            message: String::from_utf8_lossy(c.message_bytes()).into_owned(),
            parent: c.parent_id(0).ok(),
        })
    }

    /// The full message of a commit.
    pub fn commit_message(&self, oid: Oid) -> Result<String> {
        Ok(self
            .raw()
            .find_commit(oid)?
            .message()
            .unwrap_or_default()
            .to_string())
    }

    /// Commits reachable from `tip` but not from `hide`, oldest first.
    pub fn state_commits_between(&self, tip: Oid, hide: Option<Oid>) -> Result<Vec<Oid>> {
        let mut walk = self.raw().revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        walk.push(tip)?;
        if let Some(h) = hide {
            walk.hide(h)?;
        }
        Ok(walk.collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// Fetch one ref of the remote into `dst` (forced: `dst` is a private
    /// tracking ref). `Ok(false)` when the remote has no such ref; `dst` is
    /// then deleted.
    pub fn fetch_ref(&self, remote: &str, src: &str, dst: &str) -> Result<bool> {
        let spec = format!("+{src}:{dst}");
        let args = [
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--end-of-options",
            remote,
            &spec,
        ];
        let out = self.git_output(args)?;
        if out.status.success() {
            return Ok(true);
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("couldn't find remote ref") {
            if let Ok(mut r) = self.raw().find_reference(dst) {
                r.delete()?;
            }
            return Ok(false);
        }
        Err(GitError::Command {
            args: args.join(" "),
            status: out
                .status
                .code()
                .map_or_else(|| "killed".into(), |c| format!("exit {c}")),
            stderr: super::GitOutput::new(&stderr),
        })
    }

    /// Push `new` to `dst` on the remote without force: the remote takes it
    /// only as a fast-forward of what it has. Hooks do not run (`--no-verify`):
    /// this is kickoff's own bookkeeping, not a branch.
    pub fn push_fast_forward(&self, remote: &str, new: Oid, dst: &str) -> Result<PushOutcome> {
        let spec = format!("{new}:{dst}");
        let args = [
            "push",
            "--quiet",
            "--no-verify",
            "--porcelain",
            "--end-of-options",
            remote,
            &spec,
        ];
        let out = self.git_output(args)?;
        if out.status.success() {
            return Ok(PushOutcome::Accepted);
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // `--porcelain` prints `!<tab>src:dst<tab>[rejected] (why)` for refused refs.
        let refused = stdout.lines().find(|l| l.starts_with('!'));
        if let Some(line) = refused {
            let reason = line.rsplit('\t').next().unwrap_or(line);
            let moved = reason.starts_with("[rejected]")
                || [
                    "cannot lock ref",
                    "failed to update ref",
                    "failed to lock",
                    "stale info",
                    "incorrect old value",
                ]
                .iter()
                .any(|m| reason.contains(m));
            if moved {
                return Ok(PushOutcome::Rejected(line.to_string()));
            }
            let said: Vec<&str> = stderr
                .lines()
                .filter_map(|l| l.strip_prefix("remote:"))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            let mut why = reason.trim().to_string();
            if !said.is_empty() {
                why.push_str("\nremote: ");
                why.push_str(&said.join("\nremote: "));
            }
            return Ok(PushOutcome::Refused(why));
        }
        if stderr.contains("cannot lock ref") || stderr.contains("failed to update ref") {
            return Ok(PushOutcome::Rejected(stderr.trim().to_string()));
        }
        Err(GitError::Command {
            args: args.join(" "),
            status: out
                .status
                .code()
                .map_or_else(|| "killed".into(), |c| format!("exit {c}")),
            stderr: super::GitOutput::new(&format!("{}\n{}", stdout.trim(), stderr.trim())),
        })
    }

    /// The oid a ref points at, without peeling.
    pub fn ref_target(&self, full: &str) -> Result<Option<Oid>> {
        match self.raw().find_reference(full) {
            Ok(r) => Ok(r.target()),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Fetch the remote's platform tags (`refs/tags/platform/*`) without
    /// replacing any local tag; `Err` when the fetch fails (a local tag differs
    /// from the remote's, or the remote is unreachable).
    pub fn fetch_platform_tags(&self, remote: &str) -> Result<()> {
        self.fetch(remote, &["refs/tags/platform/*:refs/tags/platform/*"])
    }

    /// Ticket keys mentioned in the messages of commits in `tip` but not in
    /// `base`, sorted and unique (at most the first `limit` commits are read).
    pub fn tickets_between(
        &self,
        tip: Oid,
        base: Option<Oid>,
        pattern: &crate::naming::TicketPattern,
        limit: usize,
    ) -> Result<Vec<String>> {
        let mut walk = self.raw().revwalk()?;
        walk.push(tip)?;
        if let Some(b) = base {
            walk.hide(b)?;
        }
        let mut out = std::collections::BTreeSet::new();
        for oid in walk.take(limit) {
            let c = self.raw().find_commit(oid?)?;
            for t in pattern.find_all(c.message().unwrap_or_default()) {
                out.insert(t.as_str().to_string());
            }
        }
        Ok(out.into_iter().collect())
    }
}
