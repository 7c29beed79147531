//! Landing: bringing a released kickoff into main after it was deployed.
//!
//! [`decide`] is pure: it takes the facts `kickoff land` read and says whether
//! to fast-forward main, write a merge commit, do nothing, or refuse and why.

use super::PlatformVersion;
use crate::naming::KickoffName;

/// The environment variable `kickoff land` sets on its `git push` of main, so
/// that the pre-push hook lets a landing through its protection of main.
pub const LAND_ENV: &str = "KICKOFF_LAND";

/// What `land` found before deciding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandFacts {
    pub kickoff: KickoffName,
    /// The kickoff's newest platform version.
    pub version: Option<PlatformVersion>,
    /// Whether `--unreleased` was given.
    pub allow_unreleased: bool,
    /// Commits on the kickoff after its newest version's commit.
    pub commits_after_release: usize,
    /// Main already contains the kickoff.
    pub kickoff_in_main: bool,
    /// The kickoff contains main (a fast-forward is possible).
    pub main_in_kickoff: bool,
    /// Merging the kickoff into main has no conflicts (only read when needed).
    pub merge_clean: bool,
    /// Commits on the local main that the remote's main lacks.
    pub local_main_ahead: usize,
    /// Main is checked out here with uncommitted changes.
    pub main_checked_out_dirty: bool,
    /// The local kickoff differs from the remote's (`None`: agrees or no remote).
    pub remote_mismatch: Option<String>,
    pub main_branch: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LandMode {
    /// Main moves to the kickoff's tip.
    FastForward,
    /// A merge commit with main and the kickoff as parents.
    Merge,
    /// Main already holds the kickoff.
    AlreadyLanded,
}

/// Why a landing is refused, with the next step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LandRefusal {
    #[error("{kickoff} has no platform version, so it was never released")]
    Unreleased { kickoff: KickoffName },
    #[error("{kickoff} has {count} commit(s) after its release v{version}")]
    AfterRelease {
        kickoff: KickoffName,
        version: PlatformVersion,
        count: usize,
    },
    #[error("merging {kickoff} into {main} has conflicts")]
    Conflicts { kickoff: KickoffName, main: String },
    #[error("your local {main} has {count} commit(s) that the remote's {main} lacks")]
    LocalMainAhead { main: String, count: usize },
    #[error("{main} is checked out here with uncommitted changes")]
    DirtyMain { main: String },
    #[error("{0}")]
    RemoteMismatch(String),
}

impl LandRefusal {
    pub fn hint(&self) -> String {
        match self {
            LandRefusal::Unreleased { kickoff } => format!(
                "release it first (`kickoff release --kickoff {kickoff} --bump patch`), or land it anyway with --unreleased"
            ),
            LandRefusal::AfterRelease { .. } => {
                "release those commits (a new prerelease or the release), or land everything with --unreleased".into()
            }
            LandRefusal::Conflicts { kickoff, .. } => format!(
                "bring main into the kickoff first (`kickoff sync {kickoff}`), resolve, push, then land"
            ),
            LandRefusal::LocalMainAhead { main, .. } => {
                format!("push your {main} first, or move those commits to a branch")
            }
            LandRefusal::DirtyMain { .. } => "commit or stash your changes, or switch to another branch".into(),
            LandRefusal::RemoteMismatch(_) => "push or pull the kickoff so both sides agree".into(),
        }
    }
}

pub fn decide(f: &LandFacts) -> Result<LandMode, LandRefusal> {
    if let Some(m) = &f.remote_mismatch {
        return Err(LandRefusal::RemoteMismatch(m.clone()));
    }
    if !f.allow_unreleased {
        match &f.version {
            None => {
                return Err(LandRefusal::Unreleased {
                    kickoff: f.kickoff.clone(),
                });
            }
            Some(v) if f.commits_after_release > 0 => {
                return Err(LandRefusal::AfterRelease {
                    kickoff: f.kickoff.clone(),
                    version: v.clone(),
                    count: f.commits_after_release,
                });
            }
            Some(_) => {}
        }
    }
    if f.kickoff_in_main {
        return Ok(LandMode::AlreadyLanded);
    }
    if f.local_main_ahead > 0 {
        return Err(LandRefusal::LocalMainAhead {
            main: f.main_branch.clone(),
            count: f.local_main_ahead,
        });
    }
    if f.main_checked_out_dirty {
        return Err(LandRefusal::DirtyMain {
            main: f.main_branch.clone(),
        });
    }
    if f.main_in_kickoff {
        return Ok(LandMode::FastForward);
    }
    if !f.merge_clean {
        return Err(LandRefusal::Conflicts {
            kickoff: f.kickoff.clone(),
            main: f.main_branch.clone(),
        });
    }
    Ok(LandMode::Merge)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> LandFacts {
        LandFacts {
            kickoff: KickoffName::parse("kickoff-240510-dashboard").unwrap(),
            version: Some(PlatformVersion::parse("1.3.10").unwrap()),
            allow_unreleased: false,
            commits_after_release: 0,
            kickoff_in_main: false,
            main_in_kickoff: true,
            merge_clean: true,
            local_main_ahead: 0,
            main_checked_out_dirty: false,
            remote_mismatch: None,
            main_branch: "main".into(),
        }
    }

    #[test]
    fn modes() {
        assert_eq!(decide(&facts()), Ok(LandMode::FastForward));
        let f = LandFacts {
            main_in_kickoff: false,
            ..facts()
        };
        assert_eq!(decide(&f), Ok(LandMode::Merge));
        let f = LandFacts {
            kickoff_in_main: true,
            ..facts()
        };
        assert_eq!(decide(&f), Ok(LandMode::AlreadyLanded));
    }

    #[test]
    fn refusals() {
        let f = LandFacts {
            version: None,
            ..facts()
        };
        assert!(matches!(decide(&f), Err(LandRefusal::Unreleased { .. })));
        assert_eq!(
            decide(&LandFacts {
                allow_unreleased: true,
                ..f
            }),
            Ok(LandMode::FastForward)
        );
        let f = LandFacts {
            commits_after_release: 2,
            ..facts()
        };
        assert!(matches!(
            decide(&f),
            Err(LandRefusal::AfterRelease { count: 2, .. })
        ));
        let f = LandFacts {
            main_in_kickoff: false,
            merge_clean: false,
            ..facts()
        };
        assert!(matches!(decide(&f), Err(LandRefusal::Conflicts { .. })));
        let f = LandFacts {
            local_main_ahead: 1,
            ..facts()
        };
        assert!(matches!(
            decide(&f),
            Err(LandRefusal::LocalMainAhead { .. })
        ));
        let f = LandFacts {
            main_checked_out_dirty: true,
            ..facts()
        };
        assert!(matches!(decide(&f), Err(LandRefusal::DirtyMain { .. })));
    }
}
