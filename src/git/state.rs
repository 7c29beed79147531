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

impl Repo {
    /// Every file of a commit's tree, by path (`dir/name`).
    pub fn tree_files(&self, commit: Oid) -> Result<BTreeMap<String, Vec<u8>>> {
        let repo = self.raw();
        let tree = repo.find_commit(commit)?.tree()?;
        let mut files = BTreeMap::new();
        let mut failed = None;
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(ObjectType::Blob) {
                match repo.find_blob(entry.id()) {
                    Ok(b) => {
                        let name = entry.name().unwrap_or_default();
                        files.insert(format!("{dir}{name}"), b.content().to_vec());
                    }
                    Err(e) => {
                        failed = Some(e);
                        return git2::TreeWalkResult::Abort;
                    }
                }
            }
            git2::TreeWalkResult::Ok
        })?;
        match failed {
            Some(e) => Err(e.into()),
            None => Ok(files),
        }
    }

    /// Write blobs and trees for `files`, then a commit on `parent`; no ref moves.
    pub fn write_files_commit(
        &self,
        parent: Option<Oid>,
        files: &BTreeMap<String, Vec<u8>>,
        message: &str,
    ) -> Result<Oid> {
        let repo = self.raw();
        let tree = self.write_tree_of(files, "")?;
        let tree = repo.find_tree(tree)?;
        let sig = self.signature()?;
        let parents = match parent {
            Some(p) => vec![repo.find_commit(p)?],
            None => vec![],
        };
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        Ok(repo.commit(None, &sig, &sig, message, &tree, &refs)?)
    }

    /// Like [`Repo::write_files_commit`], but from the parent's tree and the
    /// changed paths only (`None`: delete): unchanged files are not rewritten,
    /// so a long deployment log costs nothing per change.
    pub fn write_changes_commit(
        &self,
        parent: Option<Oid>,
        changes: &BTreeMap<String, Option<Vec<u8>>>,
        message: &str,
    ) -> Result<Oid> {
        let repo = self.raw();
        let Some(parent) = parent else {
            let files = changes
                .iter()
                .filter_map(|(p, c)| c.clone().map(|c| (p.clone(), c)))
                .collect();
            return self.write_files_commit(None, &files, message);
        };
        let parent = repo.find_commit(parent)?;
        let mut update = git2::build::TreeUpdateBuilder::new();
        for (path, content) in changes {
            match content {
                Some(bytes) => {
                    let blob = repo.blob(bytes)?;
                    update.upsert(path.as_str(), blob, git2::FileMode::Blob);
                }
                None => {
                    update.remove(path.as_str());
                }
            }
        }
        let tree = update.create_updated(repo, &parent.tree()?)?;
        let tree = repo.find_tree(tree)?;
        let sig = self.signature()?;
        Ok(repo.commit(None, &sig, &sig, message, &tree, &[&parent])?)
    }

    fn write_tree_of(&self, files: &BTreeMap<String, Vec<u8>>, prefix: &str) -> Result<Oid> {
        let repo = self.raw();
        let mut builder = repo.treebuilder(None)?;
        let mut subdirs: BTreeMap<&str, ()> = BTreeMap::new();
        for (path, content) in files.range(prefix.to_string()..) {
            let Some(rest) = path.strip_prefix(prefix) else {
                break;
            };
            match rest.split_once('/') {
                Some((dir, _)) => {
                    subdirs.insert(dir, ());
                }
                None => {
                    let blob = repo.blob(content)?;
                    builder.insert(rest, blob, 0o100644)?;
                }
            }
        }
        for dir in subdirs.keys() {
            let sub = self.write_tree_of(files, &format!("{prefix}{dir}/"))?;
            builder.insert(dir, sub, 0o040000)?;
        }
        Ok(builder.write()?)
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

    /// The highest platform version whose tag (`platform/vX.Y.Z`) points at `commit`.
    pub fn platform_version_at(&self, commit: Oid) -> Result<Option<String>> {
        let mut best: Option<semver::Version> = None;
        for r in self.raw().references_glob("refs/tags/platform/v*")? {
            let r = r?;
            let Some(name) = r.name() else { continue };
            let Some(v) = name
                .strip_prefix("refs/tags/platform/v")
                .and_then(|v| semver::Version::parse(v).ok())
            else {
                continue;
            };
            if r.peel_to_commit().map(|c| c.id()).ok() == Some(commit)
                && best.as_ref().is_none_or(|b| v > *b)
            {
                best = Some(v);
            }
        }
        Ok(best.map(|v| v.to_string()))
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
