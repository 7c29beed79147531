//! git's pre-push protocol: one line per ref on stdin,
//! `<local ref> SP <local oid> SP <remote ref> SP <remote oid> LF`.
//!
//! A deletion has `(delete)` as local ref and an all-zero local oid; a ref the
//! remote does not have yet comes with an all-zero remote oid. The local ref is
//! what the user typed (`HEAD~`, `main`, a full ref), so the rules look at the
//! remote ref: that is what arrives.

use super::HookError;
use std::fmt;

/// An object id as git prints it (40 hex digits for SHA-1, 64 for SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectId(String);

impl ObjectId {
    pub fn parse(s: &str) -> Option<ObjectId> {
        ((s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| ObjectId(s.to_ascii_lowercase()))
    }

    /// The all-zero id git uses for "no object".
    pub fn is_zero(&self) -> bool {
        self.0.bytes().all(|b| b == b'0')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 10 digits, for messages.
    pub fn short(&self) -> &str {
        &self.0[..10]
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a push line does to the remote ref.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The remote does not have the ref yet.
    Create,
    /// The remote ref moves from one object to another.
    Update,
    /// The remote ref is deleted.
    Delete,
    /// The remote ref already points at the pushed object.
    Unchanged,
}

/// One line of the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushLine {
    pub local_ref: String,
    pub local_oid: ObjectId,
    pub remote_ref: String,
    pub remote_oid: ObjectId,
}

impl PushLine {
    pub fn change(&self) -> Change {
        match (self.local_oid.is_zero(), self.remote_oid.is_zero()) {
            (true, _) => Change::Delete,
            (false, true) => Change::Create,
            (false, false) if self.local_oid == self.remote_oid => Change::Unchanged,
            (false, false) => Change::Update,
        }
    }

    /// The branch name when the remote ref is a branch.
    pub fn branch(&self) -> Option<&str> {
        self.remote_ref.strip_prefix("refs/heads/")
    }

    /// The tag name when the remote ref is a tag.
    pub fn tag(&self) -> Option<&str> {
        self.remote_ref.strip_prefix("refs/tags/")
    }
}

/// The non-blank lines of a hook's stdin with their numbers (from 1).
fn lines(input: &str) -> impl Iterator<Item = (usize, &str)> {
    input
        .lines()
        .enumerate()
        .map(|(i, raw)| (i + 1, raw.strip_suffix('\r').unwrap_or(raw)))
        .filter(|(_, line)| !line.trim().is_empty())
}

fn bad_line(number: usize, line: &str, reason: &str) -> HookError {
    HookError::Protocol {
        line: number,
        text: line.chars().take(200).collect(),
        reason: reason.to_string(),
    }
}

/// Parse everything git wrote on stdin. Blank lines are skipped; a malformed
/// line is an error naming its number.
pub fn parse(input: &str) -> Result<Vec<PushLine>, HookError> {
    let mut out = Vec::new();
    for (number, line) in lines(input) {
        let bad = |reason: &str| bad_line(number, line, reason);
        // Ref names cannot contain spaces, so the line splits into exactly four fields.
        let fields: Vec<&str> = line.split(' ').collect();
        let [local_ref, local_oid, remote_ref, remote_oid] = fields[..] else {
            return Err(bad(&format!(
                "expected 4 space-separated fields, found {}",
                fields.len()
            )));
        };
        let local_oid =
            ObjectId::parse(local_oid).ok_or_else(|| bad("the local object id is not hex"))?;
        let remote_oid =
            ObjectId::parse(remote_oid).ok_or_else(|| bad("the remote object id is not hex"))?;
        if local_ref.is_empty() || !remote_ref.starts_with("refs/") {
            return Err(bad("the remote ref is not a full ref name"));
        }
        if local_ref == "(delete)" && !local_oid.is_zero() {
            return Err(bad("a deletion must carry the zero object id"));
        }
        out.push(PushLine {
            local_ref: local_ref.to_string(),
            local_oid,
            remote_ref: remote_ref.to_string(),
            remote_oid,
        });
    }
    Ok(out)
}

/// Parse git's pre-receive input, `<old oid> SP <new oid> SP <ref name> LF` per
/// updated ref, into the lines the pre-push policy reads: what arrives is the
/// new oid at the ref, over the old one.
pub fn parse_receive(input: &str) -> Result<Vec<PushLine>, HookError> {
    let mut out = Vec::new();
    for (number, line) in lines(input) {
        let bad = |reason: &str| bad_line(number, line, reason);
        let fields: Vec<&str> = line.split(' ').collect();
        let [old, new, refname] = fields[..] else {
            return Err(bad(&format!(
                "expected 3 space-separated fields (old oid, new oid, ref), found {}",
                fields.len()
            )));
        };
        let old = ObjectId::parse(old).ok_or_else(|| bad("the old object id is not hex"))?;
        let new = ObjectId::parse(new).ok_or_else(|| bad("the new object id is not hex"))?;
        if !refname.starts_with("refs/") {
            return Err(bad("the ref is not a full ref name"));
        }
        out.push(update(refname, old, new));
    }
    Ok(out)
}

/// One ref update as a push line: `refname` moves from `old` to `new` (zero
/// ids for a creation or a deletion).
pub fn update(refname: &str, old: ObjectId, new: ObjectId) -> PushLine {
    PushLine {
        local_ref: if new.is_zero() {
            "(delete)".to_string()
        } else {
            refname.to_string()
        },
        local_oid: new,
        remote_ref: refname.to_string(),
        remote_oid: old,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const Z: &str = "0000000000000000000000000000000000000000";

    #[test]
    fn parses_every_kind_of_line() {
        let text = format!(
            "refs/heads/main {A} refs/heads/main {B}\n\
             HEAD~ {A} refs/heads/feature/DASH-1 {Z}\n\
             (delete) {Z} refs/heads/old {B}\n\
             refs/tags/v1 {A} refs/tags/v1 {A}\n\n"
        );
        let lines = parse(&text).unwrap();
        let changes: Vec<_> = lines.iter().map(PushLine::change).collect();
        assert_eq!(
            changes,
            [
                Change::Update,
                Change::Create,
                Change::Delete,
                Change::Unchanged
            ]
        );
        assert_eq!(lines[1].local_ref, "HEAD~");
        assert_eq!(lines[1].branch(), Some("feature/DASH-1"));
        assert_eq!(lines[3].tag(), Some("v1"));
    }

    #[test]
    fn pre_receive_lines_become_push_lines() {
        let lines = parse_receive(&format!(
            "{A} {B} refs/heads/main\n{Z} {A} refs/tags/x\n{B} {Z} refs/heads/old\n"
        ))
        .unwrap();
        let changes: Vec<_> = lines.iter().map(PushLine::change).collect();
        assert_eq!(changes, [Change::Update, Change::Create, Change::Delete]);
        assert_eq!(lines[0].remote_oid.as_str(), A);
        assert_eq!(lines[0].local_oid.as_str(), B);
        assert_eq!(lines[2].local_ref, "(delete)");
        for bad in [
            format!("{A} {B}"),
            format!("{A} {B} main"),
            format!("x {B} refs/heads/a"),
        ] {
            assert!(parse_receive(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn empty_input_is_no_lines() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("\n\n").unwrap().is_empty());
    }

    #[test]
    fn sha256_ids_are_accepted() {
        let a = "a".repeat(64);
        let z = "0".repeat(64);
        let lines = parse(&format!("main {a} refs/heads/main {z}\n")).unwrap();
        assert_eq!(lines[0].change(), Change::Create);
    }

    #[test]
    fn malformed_lines_name_their_number() {
        for bad in [
            format!("main {A} refs/heads/main"),
            format!("main {A} refs/heads/main {B} extra"),
            format!("main xyz refs/heads/main {B}"),
            format!("main {A} main {B}"),
            format!("(delete) {A} refs/heads/x {B}"),
        ] {
            let e = parse(&format!("\n{bad}\n")).unwrap_err();
            assert!(e.to_string().contains("line 2"), "{e}");
        }
    }
}
