//! The library entry point the pre-push hook calls for a pushed platform tag,
//! `release::catalog::check_pushed_tag`, on a real repository and remote.
//!
//! One test in this binary: it points the process's own git environment at
//! the isolated test config before any thread starts, because the library
//! runs `git ls-remote` itself.

mod common;
use common::*;
use kickoff::git::Repo;
use kickoff::git::git2::Oid;
use kickoff::release::Rule;
use kickoff::release::catalog::{PushedTag, check_pushed_tag};

#[test]
fn check_pushed_tag_applies_the_release_rules() {
    let repo = TestRepo::new();
    let empty = repo.env.path().join("gitconfig-empty");
    // SAFETY: the only test of this binary; no other thread reads the environment.
    unsafe {
        std::env::set_var("GIT_CONFIG_GLOBAL", &empty);
        std::env::set_var("GIT_CONFIG_SYSTEM", &empty);
        std::env::set_var("GIT_CONFIG_NOSYSTEM", "1");
        std::env::set_var("GIT_TERMINAL_PROMPT", "0");
    }
    let a = repo.new_kickoff("alpha", "240401");
    let b = repo.new_kickoff("beta", "240402");
    repo.commit_pushed(&a, "a.txt", "ALPHA-1 alpha");
    repo.commit_pushed(&b, "b.txt", "BETA-1 beta");
    repo.ok(&["release", "--platform", "1.0.0", "--kickoff", &a]);
    let lib = Repo::discover(&repo.work).unwrap();
    let oid = |rev: &str| Oid::from_str(&repo.git(&["rev-parse", rev])).unwrap();

    // A tag made by hand on beta, which lacks alpha's 1.0.0.
    let msg = format!("platform v1.1.0: {b}\n\nKickoff: {b}\n");
    repo.git(&["tag", "-a", "-m", &msg, "platform/v1.1.0", &b]);
    let tag = oid("refs/tags/platform/v1.1.0");
    match check_pushed_tag(&lib, "origin", "main", "refs/tags/platform/v1.1.0", tag).unwrap() {
        PushedTag::Checked { facts, verdict } => {
            assert_eq!(facts.kickoff.to_string(), b);
            assert_eq!(facts.commit, oid(&b));
            assert!(!facts.exists_locally && !facts.exists_on_remote);
            let rules: Vec<Rule> = verdict.blocking.iter().map(|v| v.rule()).collect();
            assert_eq!(rules, [Rule::Rollback]);
            assert!(verdict.blocking[0].to_string().contains("v1.0.0"));
        }
        other => panic!("{other:?}"),
    }

    // The same tag with `Waived: rollback` recorded: waived, not blocking.
    let msg = format!("platform v1.1.0: {b}\n\nKickoff: {b}\nWaived: rollback\n");
    repo.git(&["tag", "-f", "-a", "-m", &msg, "platform/v1.1.0", &b]);
    let tag = oid("refs/tags/platform/v1.1.0");
    match check_pushed_tag(&lib, "origin", "main", "refs/tags/platform/v1.1.0", tag).unwrap() {
        PushedTag::Checked { verdict, .. } => {
            assert!(verdict.blocking.is_empty(), "{verdict:?}");
            assert_eq!(verdict.waived_rules(), [Rule::Rollback]);
        }
        other => panic!("{other:?}"),
    }

    // Moving the published 1.0.0 is caught as an existing tag on the remote.
    let msg = format!("platform v1.0.0: {a}\n\nKickoff: {a}\n");
    repo.git(&["tag", "-f", "-a", "-m", &msg, "platform/v1.0.0", "main"]);
    let moved = oid("refs/tags/platform/v1.0.0");
    match check_pushed_tag(&lib, "origin", "main", "refs/tags/platform/v1.0.0", moved).unwrap() {
        PushedTag::Checked { verdict, .. } => {
            assert_eq!(verdict.blocking[0].rule(), Rule::TagExists);
        }
        other => panic!("{other:?}"),
    }

    // Lightweight tags, tags without trailers, other refs.
    repo.git(&["tag", "platform/v2.0.0", &b]);
    assert!(matches!(
        check_pushed_tag(&lib, "origin", "main", "refs/tags/platform/v2.0.0", oid(&b)).unwrap(),
        PushedTag::Malformed { .. }
    ));
    repo.git(&["tag", "-a", "-m", "just a note", "platform/v3.0.0", &b]);
    let note = oid("refs/tags/platform/v3.0.0");
    assert!(matches!(
        check_pushed_tag(&lib, "origin", "main", "refs/tags/platform/v3.0.0", note).unwrap(),
        PushedTag::Malformed { .. }
    ));
    assert_eq!(
        check_pushed_tag(&lib, "origin", "main", "refs/heads/main", oid("main")).unwrap(),
        PushedTag::NotPlatform
    );
}
