//! Generated hostile state trees against every reader of the shared state.
//!
//! Each case is a tree of a few dozen entries: well-formed leases and
//! records mixed with bad UTF-8, huge sizes, wrong types, odd and
//! non-UTF-8 file names, duplicate ids, leases of unknown slots, leases that
//! end before they start, subtrees and symlinks where files belong. For every
//! tree: reading never panics and never reads a file over its size limit;
//! the board, `slot list`'s table, its JSON and the dashboard render; a claim
//! for a new kickoff is decided normally (a free slot is taken, a full pool
//! refused, never anything else); a deployment record is added; and every
//! well-formed record survives the read and the write back.
//!
//! `PROPTEST_CASES` overrides the number of cases (default 3000).

use kickoff::config::Config;
use kickoff::slots::validate::{EntryKind, RawEntry, load};
use kickoff::slots::{Op, Outcome, SlotError, SlotState};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

const POOL: &str = "[slots]\nnames = [\"dev1\", \"dev2\", \"dev3\"]\n\n[[slots.apps]]\nname = \"web\"\nport = 80\nbase_port = 8001\n";

fn config() -> Config {
    Config::parse(POOL, Path::new(".kickoff.toml")).unwrap()
}

/// What a generated file is meant to be.
#[derive(Debug, Clone)]
struct Gen {
    path: Vec<u8>,
    kind: EntryKind,
    /// Claimed size (may be far larger than the content: a 300 MB blob).
    size: u64,
    content: Vec<u8>,
    /// A well-formed record that must survive: its file name.
    good_record: Option<String>,
}

fn person(i: u32) -> Value {
    json!({"name": format!("Person {i}"), "email": format!("p{i}@example.com")})
}

fn record(id: &str, slot: &str, minute: u32) -> (String, Value) {
    let at = format!("2024-05-10T12:{:02}:00Z", minute % 60);
    let v = json!({
        "id": id, "slot": slot, "kickoff": "kickoff-240510-alpha",
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "platform_version": "1.2.3", "tickets": ["DASH-1"], "who": person(minute),
        "started_at": at, "finished_at": at, "duration_ms": 5, "status": "succeeded",
        "exit_code": 0, "image_tag": "t", "project": slot,
    });
    let name = format!("20240510T12{:02}00Z-{slot}-{id}.json", minute % 60);
    (name, v)
}

fn lease(kickoff: &str, since: &str, until: &str) -> String {
    format!(
        "kickoff = \"{kickoff}\"\nsince = \"{since}\"\nuntil = \"{until}\"\nvia = \"claim\"\n\n[holder]\nname = \"Ann\"\nemail = \"ann@example.com\"\n"
    )
}

/// A value of the wrong type, or a broken one, for a field.
fn hostile_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(42)),
        Just(json!(null)),
        Just(json!([1, 2])),
        Just(json!({"a": 1})),
        Just(json!("ééé\u{0}\u{7}")),
        Just(json!("x".repeat(70_000))),
        Just(json!(-1)),
        Just(json!("2024-13-40T99:99:99Z")),
        Just(json!("../../etc/passwd")),
    ]
}

const FIELDS: &[&str] = &[
    "id",
    "slot",
    "kickoff",
    "commit",
    "platform_version",
    "tickets",
    "who",
    "started_at",
    "finished_at",
    "duration_ms",
    "status",
    "exit_code",
    "image_tag",
];

fn gen_file(n: u32) -> impl Strategy<Value = Gen> {
    let slot = prop_oneof![
        Just("dev1"),
        Just("dev2"),
        Just("dev3"),
        Just("dev9"),
        Just("DEV1"),
        Just("a b")
    ];
    prop_oneof![
        // A well-formed record (ids unique per case: derived from n).
        (slot.clone(), 0..60u32).prop_map(move |(slot, minute)| {
            let id = format!("good{n:08}");
            let (name, v) = record(&id, slot, minute);
            let ok = kickoff::slots::config::valid_name(slot);
            Gen {
                path: format!("deployments/{name}").into_bytes(),
                kind: EntryKind::File,
                size: 0,
                content: v.to_string().into_bytes(),
                good_record: ok.then_some(name),
            }
        }),
        // A record with one field broken or of the wrong type.
        (0..FIELDS.len(), hostile_value(), 0..60u32).prop_map(move |(f, bad, minute)| {
            let id = format!("bad{n:08}");
            let (name, mut v) = record(&id, "dev1", minute);
            v[FIELDS[f]] = bad;
            Gen { path: format!("deployments/{name}").into_bytes(), kind: EntryKind::File, size: 0, content: v.to_string().into_bytes(), good_record: None }
        }),
        // A duplicate id of another case's good record.
        (0..60u32).prop_map(|minute| {
            let (name, v) = record("good00000000", "dev2", minute);
            Gen { path: format!("deployments/{name}").into_bytes(), kind: EntryKind::File, size: 0, content: v.to_string().into_bytes(), good_record: None }
        }),
        // Leases: good, ending before they start, of unknown slots, odd names.
        (slot.clone(), prop_oneof![Just("kickoff-240510-alpha"), Just("kickoff-240510-beta"), Just("bad name"), Just("é")], any::<bool>())
            .prop_map(|(slot, k, backwards)| {
                let (since, until) = if backwards { ("2030-01-02T00:00:00Z", "2030-01-01T00:00:00Z") } else { ("2024-05-10T12:00:00Z", "2099-01-01T00:00:00Z") };
                Gen { path: format!("slots/{slot}.toml").into_bytes(), kind: EntryKind::File, size: 0, content: lease(k, since, until).into_bytes(), good_record: None }
            }),
        // A queue: entries good and bad.
        prop::collection::vec((prop_oneof![Just("kickoff-240510-gamma"), Just("kickoff-240510-alpha"), Just("x y")], prop_oneof![Just("3d"), Just("forever"), Just("-1d")]), 0..5)
            .prop_map(|entries| {
                let mut t = String::new();
                for (k, ttl) in entries {
                    t.push_str(&format!("[[entry]]\nkickoff = \"{k}\"\nsince = \"2024-05-10T12:00:00Z\"\nttl = \"{ttl}\"\n[entry.holder]\nname = \"Q\"\nemail = \"q@example.com\"\n\n"));
                }
                Gen { path: b"queue.toml".to_vec(), kind: EntryKind::File, size: 0, content: t.into_bytes(), good_record: None }
            }),
        // Garbage at good paths: bad UTF-8, empty, huge claimed sizes.
        (prop_oneof![Just(b"queue.toml".to_vec()), Just(b"slots/dev2.toml".to_vec()), Just(b"deployments/20240510T120000Z-dev1-x.json".to_vec())],
         prop::collection::vec(any::<u8>(), 0..64), prop_oneof![Just(0u64), Just(300 << 20), Just(65 * 1024)])
            .prop_map(|(path, content, size)| Gen { path, kind: EntryKind::File, size, content, good_record: None }),
        // Odd paths and entry kinds.
        (prop_oneof![
            Just(b"../x".to_vec()), Just(b"notes.txt".to_vec()), Just(b"slots/a/b.toml".to_vec()),
            Just(b"deployments/\xff\xfe.json".to_vec()), Just(b"slots/.toml".to_vec()), Just(b"".to_vec()),
            Just(b"deployments/../../x.json".to_vec()), prop::collection::vec(any::<u8>(), 1..20)
         ], prop_oneof![Just(EntryKind::File), Just(EntryKind::Other)])
            .prop_map(|(path, kind)| Gen { path, kind, size: 0, content: b"{}".to_vec(), good_record: None }),
    ]
    .prop_map(|mut g| {
        if g.size == 0 {
            g.size = g.content.len() as u64;
        }
        g
    })
}

fn tree() -> impl Strategy<Value = Vec<Gen>> {
    (1..40usize).prop_flat_map(|n| (0..n as u32).map(gen_file).collect::<Vec<_>>())
}

fn check(files: Vec<Gen>) -> Result<(), TestCaseError> {
    let config = config();
    let by_key: Vec<Gen> = files.clone();
    let entries = by_key.iter().enumerate().map(|(i, g)| RawEntry {
        path: g.path.clone(),
        kind: g.kind,
        size: g.size,
        key: i,
    });
    let loaded = load(entries, |i| {
        let g = &by_key[*i];
        assert!(g.size <= 512 * 1024, "read a {} byte file", g.size);
        Ok(g.content.clone())
    });
    let state = loaded.state;
    // Every well-formed record survives (a second entry of the same name in
    // one tree, which git itself calls corrupt, aside).
    let mut first_at_path: BTreeMap<&[u8], usize> = BTreeMap::new();
    for (i, g) in files.iter().enumerate() {
        first_at_path.entry(&g.path).or_insert(i);
    }
    for (i, g) in files.iter().enumerate() {
        if let Some(name) = &g.good_record {
            if first_at_path[g.path.as_slice()] == i {
                prop_assert!(state.deployments.contains_key(name), "lost {name}");
            }
        }
    }
    // Invariants the allocator relies on.
    let mut kickoffs = std::collections::BTreeSet::new();
    for l in state.leases.values() {
        prop_assert!(l.since <= l.until);
        prop_assert!(kickoffs.insert(l.kickoff.clone()), "one slot per kickoff");
    }
    // Every reader.
    let now = chrono::DateTime::from_timestamp(1_715_342_400, 0).unwrap();
    let b = kickoff::slots::board::board(&config.slots, &state, None, &BTreeMap::new(), now);
    let _ = kickoff::commands::slot::render_list(&b);
    let _ = serde_json::to_string(&b).unwrap();
    let data = kickoff::slots::dashboard::DashboardData::new(b, state.deployments.values());
    let _ = kickoff::slots::dashboard::render(&data);
    // A claim for a new kickoff is decided normally.
    let names = config.slots.names.clone();
    let free = names
        .iter()
        .any(|n| state.leases.get(n).is_none_or(|l| l.until <= now));
    let mut after = state.clone();
    let who = kickoff::slots::Person {
        name: "F".into(),
        email: "f@example.com".into(),
    };
    let claim = Op::Claim {
        id: "fuzzclaim".into(),
        kickoff: "kickoff-240510-fuzz".into(),
        by: who.clone(),
        at: now,
        ttl: "1d".into(),
        slot: None,
        reason: None,
        queue: false,
        via: "claim".into(),
    };
    match claim.apply(&mut after, &names) {
        Ok(a) => prop_assert!(
            matches!(a.outcome, Outcome::Claimed { .. }),
            "{:?}",
            a.outcome
        ),
        Err(SlotError::NoFreeSlot { .. }) => prop_assert!(!free || !state.queue.is_empty()),
        Err(e) => prop_assert!(false, "claim refused oddly: {e}"),
    }
    // The state written back reads back the same, and keeps every record.
    let written = SlotState::from_files(after.to_files());
    prop_assert_eq!(&written.leases, &after.leases);
    prop_assert_eq!(&written.deployments, &after.deployments);
    for name in state.deployments.keys() {
        prop_assert!(written.deployments.contains_key(name));
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hostile_state_trees_never_crash_block_or_lose_a_good_record(files in tree()) {
        check(files)?;
    }
}
