//! Paths that come from the committed configuration, kept inside the repository.
//!
//! A configured directory (`slots.env_dir`, a deploy program given as a path)
//! is a relative path below the top of the work tree; `.git/...` means the
//! repository's git directory, wherever it is (a linked worktree has a `.git`
//! file). Nothing here follows a symbolic link: a link anywhere on the way, or
//! at the file itself, is refused, so a link committed by anyone with push
//! access cannot make a teammate's kickoff write outside the repository. Files
//! are written beside their destination and renamed over it, so a reader sees
//! the old file or the new one, never half of one.
//!
//! The checks are made with the standard library only: a process that swaps a
//! directory for a link between the check and the write could still win the
//! race; that needs local write access to the repository, which is already
//! everything.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("{path:?} is not a relative path inside the repository ({reason})")]
    Outside { path: String, reason: &'static str },
    #[error("{} is a symbolic link; kickoff does not write through links", path.display())]
    Symlink { path: PathBuf },
    #[error("{} exists and is not a directory", path.display())]
    NotDir { path: PathBuf },
    #[error("cannot write {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl PathError {
    pub fn exit_code(&self) -> i32 {
        match self {
            PathError::Outside { .. } => 2,
            _ => 1,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            PathError::Outside { .. } => Some(
                "give a path relative to the top of the work tree, without `..` (`.git/...` is the git directory)".into(),
            ),
            PathError::Symlink { .. } | PathError::NotDir { .. } => Some(
                "remove the link (or the file in the way) and run the command again; if it is committed, find out who added it"
                    .into(),
            ),
            PathError::Io { .. } => None,
        }
    }
}

/// Check a configured path without touching the disk: relative, not empty, no
/// `..`, no root or prefix. `reason` says what is wrong.
pub fn check_relative(path: &str) -> Result<(), PathError> {
    let outside = |reason| PathError::Outside {
        path: path.to_string(),
        reason,
    };
    if path.trim().is_empty() {
        return Err(outside("it is empty"));
    }
    if path.chars().any(char::is_control) {
        return Err(outside("it contains control characters"));
    }
    let mut normal = 0;
    for c in Path::new(path).components() {
        match c {
            Component::Normal(_) => normal += 1,
            Component::CurDir => {}
            Component::ParentDir => return Err(outside("`..` leaves the repository")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(outside("an absolute path"));
            }
        }
    }
    if normal == 0 {
        return Err(outside("it names no directory below the top"));
    }
    Ok(())
}

/// Where a configured relative path lands: below `workdir`, or below `git_dir`
/// (the git directory every worktree of the clone shares) when it starts with
/// `.git`. Returns the base and the remaining relative path.
pub fn resolve(workdir: &Path, git_dir: &Path, rel: &str) -> Result<(PathBuf, PathBuf), PathError> {
    check_relative(rel)?;
    let parts: Vec<_> = Path::new(rel)
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect();
    if parts[0].as_os_str() == ".git" {
        let rest: PathBuf = parts[1..].iter().collect();
        return Ok((git_dir.to_path_buf(), rest));
    }
    Ok((workdir.to_path_buf(), parts.iter().collect()))
}

/// Create `base/rel` and every directory on the way, refusing a symbolic link
/// or a non-directory anywhere below `base`. Returns the full path.
pub fn ensure_dir(base: &Path, rel: &Path) -> Result<PathBuf, PathError> {
    let mut dir = base.to_path_buf();
    for c in rel.components() {
        let Component::Normal(name) = c else { continue };
        dir.push(name);
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.file_type().is_symlink() => return Err(PathError::Symlink { path: dir }),
            Ok(m) if !m.is_dir() => return Err(PathError::NotDir { path: dir }),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match std::fs::create_dir(&dir) {
                    Ok(()) => {}
                    // Made by someone else meanwhile: check it again next time round.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        if std::fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink())
                        {
                            return Err(PathError::Symlink { path: dir });
                        }
                    }
                    Err(source) => return Err(PathError::Io { path: dir, source }),
                }
            }
            Err(source) => return Err(PathError::Io { path: dir, source }),
        }
    }
    Ok(dir)
}

/// Check the part of `base/rel` that exists, creating nothing: no symbolic
/// link and nothing but directories on the way. Returns the full path.
pub fn check_existing_dir(base: &Path, rel: &Path) -> Result<PathBuf, PathError> {
    let mut dir = base.to_path_buf();
    let mut exists = true;
    for c in rel.components() {
        let Component::Normal(name) = c else { continue };
        dir.push(name);
        if !exists {
            continue;
        }
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(PathError::Symlink { path: dir });
            }
            Ok(m) if !m.is_dir() => return Err(PathError::NotDir { path: dir }),
            Ok(_) => {}
            Err(_) => exists = false,
        }
    }
    Ok(dir)
}

/// Refuse a symbolic link (or a directory) at `path`; a missing file is fine.
pub fn check_target(path: &Path) -> Result<(), PathError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(PathError::Symlink {
            path: path.to_path_buf(),
        }),
        Ok(m) if m.is_dir() => Err(PathError::NotDir {
            path: path.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

/// Write `content` to `dir/name` atomically: a new file beside it (created
/// exclusively, never through a link), then a rename over the old one. A
/// symbolic link at `dir/name` is refused, not replaced.
pub fn write_atomic(dir: &Path, name: &str, content: &[u8]) -> Result<PathBuf, PathError> {
    let path = dir.join(name);
    check_target(&path)?;
    let io = |source| PathError::Io {
        path: path.clone(),
        source,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(content).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(&path).map_err(|e| io(e.error))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_only() {
        assert!(check_relative(".git/kickoff/env").is_ok());
        assert!(check_relative("deploy/env").is_ok());
        assert!(check_relative("./env").is_ok());
        for bad in [
            "../../outside",
            "env/../../x",
            "/tmp/env",
            "",
            ".",
            "./",
            "a\nb",
        ] {
            assert!(check_relative(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn links_on_the_way_are_refused() {
        let t = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), t.path().join("envdir")).unwrap();
        let e = ensure_dir(t.path(), Path::new("envdir/sub")).unwrap_err();
        assert!(matches!(e, PathError::Symlink { .. }), "{e}");
        assert!(!outside.path().join("sub").exists());

        std::fs::create_dir(t.path().join("real")).unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, t.path().join("real/dev1.env")).unwrap();
        let e = write_atomic(&t.path().join("real"), "dev1.env", b"X=1\n").unwrap_err();
        assert!(matches!(e, PathError::Symlink { .. }), "{e}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    }

    #[test]
    fn writes_replace_whole_files() {
        let t = tempfile::tempdir().unwrap();
        let dir = ensure_dir(t.path(), Path::new("a/b")).unwrap();
        write_atomic(&dir, "x.env", b"one\n").unwrap();
        let p = write_atomic(&dir, "x.env", b"two\n").unwrap();
        assert_eq!(std::fs::read_to_string(p).unwrap(), "two\n");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn dot_git_is_the_shared_git_dir() {
        let t = tempfile::tempdir().unwrap();
        let (base, rest) = resolve(t.path(), Path::new("/g"), ".git/kickoff/env").unwrap();
        assert_eq!(base, Path::new("/g"));
        assert_eq!(rest, Path::new("kickoff/env"));
        let (base, rest) = resolve(t.path(), Path::new("/g"), "./deploy/env").unwrap();
        assert_eq!(base, t.path());
        assert_eq!(rest, Path::new("deploy/env"));
    }
}
