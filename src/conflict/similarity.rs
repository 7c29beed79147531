//! git's rename similarity score (`diffcore-delta.c`), so the engine pairs
//! renames the way `git merge` does.
//!
//! Both blobs are cut into spans that end at a newline or after 64 bytes
//! (a CR before LF is skipped in text); each span is hashed. The score is the
//! number of bytes in spans both blobs share, scaled to [`MAX_SCORE`] by the
//! larger blob's size. The engine only trusts a pairing whose score is well
//! clear of the threshold, so a small difference from git's arithmetic can
//! never flip a verdict silently.

use std::collections::HashMap;

/// git's `MAX_SCORE`: 100% similarity.
pub const MAX_SCORE: u64 = 60_000;
const HASHBASE: u32 = 107_927;

/// The span histogram of one blob: hash value -> bytes covered.
#[derive(Debug, Clone, Default)]
pub struct Spans {
    counts: HashMap<u32, u64>,
    pub size: u64,
}

impl Spans {
    pub fn of(data: &[u8], is_text: bool) -> Spans {
        let mut counts: HashMap<u32, u64> = HashMap::new();
        let (mut accum1, mut accum2, mut n) = (0u32, 0u32, 0u64);
        let mut i = 0;
        while i < data.len() {
            let c = u32::from(data[i]);
            i += 1;
            let old1 = accum1;
            if is_text && c == u32::from(b'\r') && i < data.len() && data[i] == b'\n' {
                continue;
            }
            accum1 = (accum1 << 7) ^ (accum2 >> 25);
            accum2 = (accum2 << 7) ^ (old1 >> 25);
            accum1 = accum1.wrapping_add(c);
            n += 1;
            if n < 64 && c != u32::from(b'\n') {
                continue;
            }
            let hash = accum1.wrapping_add(accum2.wrapping_mul(0x61)) % HASHBASE;
            *counts.entry(hash).or_default() += n;
            n = 0;
            accum1 = 0;
            accum2 = 0;
        }
        if n > 0 {
            let hash = accum1.wrapping_add(accum2.wrapping_mul(0x61)) % HASHBASE;
            *counts.entry(hash).or_default() += n;
        }
        Spans {
            counts,
            size: data.len() as u64,
        }
    }
}

/// Similarity of `src` to `dst` on git's scale (0 ..= [`MAX_SCORE`]), with
/// git's shortcut: blobs whose sizes differ too much for `minimum_score`
/// score 0.
pub fn score(src: &Spans, dst: &Spans, minimum_score: u64) -> u64 {
    let max_size = src.size.max(dst.size);
    let base_size = src.size.min(dst.size);
    let delta = max_size - base_size;
    if max_size * (MAX_SCORE - minimum_score) < delta * MAX_SCORE {
        return 0;
    }
    if dst.size == 0 || max_size == 0 {
        return 0;
    }
    let copied: u64 = src
        .counts
        .iter()
        .map(|(h, &n)| dst.counts.get(h).map_or(0, |&m| n.min(m)))
        .sum();
    copied * MAX_SCORE / max_size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_blobs_score_full() {
        let a = Spans::of(b"one\ntwo\nthree\n", true);
        assert_eq!(score(&a, &a, 30_000), MAX_SCORE);
    }

    #[test]
    fn disjoint_blobs_score_zero() {
        let a = Spans::of(b"one\ntwo\nthree\n", true);
        let b = Spans::of(b"four\nfive\nsix!!\n", true);
        assert_eq!(score(&a, &b, 30_000), 0);
    }

    #[test]
    fn one_changed_line_of_ten_scores_about_ninety_percent() {
        let text: String = (0..10).map(|i| format!("line number {i}\n")).collect();
        let edited = text.replace("line number 4\n", "line NUMBER 4\n");
        let s = score(
            &Spans::of(text.as_bytes(), true),
            &Spans::of(edited.as_bytes(), true),
            30_000,
        );
        assert!(s > 50_000 && s < MAX_SCORE, "{s}");
    }

    #[test]
    fn crlf_counts_like_lf_in_text() {
        let lf = Spans::of(b"a\nb\n", true);
        let crlf = Spans::of(b"a\r\nb\r\n", true);
        assert_eq!(lf.counts, crlf.counts);
    }

    #[test]
    fn sizes_too_different_score_zero() {
        let small = Spans::of(b"x\n", true);
        let big = Spans::of(&b"x\n".repeat(100), true);
        assert_eq!(score(&small, &big, 30_000), 0);
    }
}
