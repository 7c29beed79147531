//! git's own three-way text merge, in memory.
//!
//! `git merge` merges a file's contents with xdiff's `xdl_merge` (histogram
//! diff unless `diff.algorithm` says otherwise, "zealous" conflict
//! refinement). libgit2 vendors the same xdiff sources, and its static
//! library exports `xdl_merge`; libgit2's own merge API only offers Myers and
//! patience, so the engine calls `xdl_merge` directly with git's parameters.
//! The verdict is the one git computes: the number of conflict hunks.

use std::ffi::{c_char, c_int, c_long, c_ulong, c_void};

/// `XDF_NEED_MINIMAL`: `diff.algorithm = minimal`.
pub const NEED_MINIMAL: c_ulong = 1 << 0;
/// `XDF_PATIENCE_DIFF`.
pub const PATIENCE: c_ulong = 1 << 14;
/// `XDF_HISTOGRAM_DIFF`: what `merge-ort` uses by default.
pub const HISTOGRAM: c_ulong = 1 << 15;

const XDL_MERGE_ZEALOUS: c_int = 2;
const XDL_MERGE_DIFF3: c_int = 1;
const XDL_MERGE_ZEALOUS_DIFF3: c_int = 2;

#[repr(C)]
struct MmFile {
    ptr: *mut c_char,
    size: c_long,
}

#[repr(C)]
struct XpParam {
    flags: c_ulong,
    ignore_regex: *mut *mut c_void,
    ignore_regex_nr: usize,
    anchors: *mut *mut c_char,
    anchors_nr: usize,
}

#[repr(C)]
struct XmParam {
    xpp: XpParam,
    marker_size: c_int,
    level: c_int,
    favor: c_int,
    style: c_int,
    ancestor: *const c_char,
    file1: *const c_char,
    file2: *const c_char,
}

unsafe extern "C" {
    /// From libgit2's vendored xdiff (linked in through `libgit2-sys`).
    fn xdl_merge(
        orig: *mut MmFile,
        mf1: *mut MmFile,
        mf2: *mut MmFile,
        xmp: *const XmParam,
        result: *mut MmFile,
    ) -> c_int;
    fn free(ptr: *mut c_void);
}

/// How git would merge text, from its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextMerge {
    /// xdiff's algorithm flags (`diff.algorithm`; histogram by default).
    pub algorithm: c_ulong,
    /// `merge.conflictStyle`: 0 merge, 1 diff3, 2 zdiff3.
    pub style: c_int,
}

impl Default for TextMerge {
    fn default() -> Self {
        TextMerge {
            algorithm: HISTOGRAM,
            style: 0,
        }
    }
}

impl TextMerge {
    /// From the values of `diff.algorithm` and `merge.conflictStyle`;
    /// `None` when a value is one git would refuse.
    pub fn from_config(algorithm: Option<&str>, style: Option<&str>) -> Option<TextMerge> {
        let algorithm = match algorithm.map(str::to_ascii_lowercase).as_deref() {
            None | Some("histogram") => HISTOGRAM,
            Some("myers" | "default") => 0,
            Some("minimal") => NEED_MINIMAL,
            Some("patience") => PATIENCE,
            Some(_) => return None,
        };
        let style = match style {
            None | Some("merge") => 0,
            Some("diff3") => XDL_MERGE_DIFF3,
            Some("zdiff3") => XDL_MERGE_ZEALOUS_DIFF3,
            Some(_) => return None,
        };
        Some(TextMerge { algorithm, style })
    }

    /// The number of conflict hunks git's merge of these three texts
    /// leaves; `None` when xdiff fails (out of memory, oversized input).
    pub fn conflicts(&self, base: &[u8], ours: &[u8], theirs: &[u8]) -> Option<usize> {
        let file = |data: &[u8]| MmFile {
            // xdiff only reads its inputs.
            ptr: data.as_ptr() as *mut c_char,
            size: data.len() as c_long,
        };
        let (mut o, mut a, mut b) = (file(base), file(ours), file(theirs));
        let params = XmParam {
            xpp: XpParam {
                flags: self.algorithm,
                ignore_regex: std::ptr::null_mut(),
                ignore_regex_nr: 0,
                anchors: std::ptr::null_mut(),
                anchors_nr: 0,
            },
            marker_size: 7,
            level: XDL_MERGE_ZEALOUS,
            favor: 0,
            style: self.style,
            ancestor: std::ptr::null(),
            file1: std::ptr::null(),
            file2: std::ptr::null(),
        };
        let mut result = MmFile {
            ptr: std::ptr::null_mut(),
            size: 0,
        };
        // libgit2 must be initialised (its allocator) before xdiff runs.
        git2::opts::strict_hash_verification(false);
        // SAFETY: the inputs outlive the call and are not written; the
        // parameters match xdiff.h of the vendored libgit2 (xmparam_t);
        // the result buffer is allocated with libgit2's default allocator
        // (malloc) and freed here.
        let status = unsafe {
            let status = xdl_merge(&mut o, &mut a, &mut b, &params, &mut result);
            if !result.ptr.is_null() {
                free(result.ptr as *mut c_void);
            }
            status
        };
        usize::try_from(status).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEN: &str = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";

    fn edit(line: usize, with: &str) -> String {
        TEN.lines()
            .enumerate()
            .map(|(i, l)| {
                if i == line {
                    format!("{with}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect()
    }

    #[test]
    fn same_line_conflicts_and_distant_lines_merge() {
        let m = TextMerge::default();
        let base = TEN.as_bytes();
        assert_eq!(
            m.conflicts(base, edit(4, "a").as_bytes(), edit(4, "b").as_bytes()),
            Some(1)
        );
        assert_eq!(
            m.conflicts(base, edit(1, "a").as_bytes(), edit(8, "b").as_bytes()),
            Some(0)
        );
        // Adjacent lines conflict in git.
        assert_eq!(
            m.conflicts(base, edit(4, "a").as_bytes(), edit(5, "b").as_bytes()),
            Some(1)
        );
        // The same change on both sides is clean.
        assert_eq!(
            m.conflicts(base, edit(4, "a").as_bytes(), edit(4, "a").as_bytes()),
            Some(0)
        );
    }

    #[test]
    fn configuration_values() {
        assert_eq!(
            TextMerge::from_config(None, None),
            Some(TextMerge::default())
        );
        assert_eq!(
            TextMerge::from_config(Some("Patience"), Some("diff3")).map(|m| (m.algorithm, m.style)),
            Some((PATIENCE, 1))
        );
        assert_eq!(TextMerge::from_config(Some("nonsense"), None), None);
    }
}
