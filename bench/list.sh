#!/usr/bin/env bash
# Benchmark: `kickoff list --json` on a repository with 4,000 refs and 50 kickoffs.
#
# Generates the repository with git fast-import (2,000 commits on main; 50
# kickoffs cut from main, each with commits, 3 merged and 3 open feature
# branches recorded in git config; remote-tracking copies of every kickoff and
# feature; old remote feature branches and tags up to 4,000 refs, packed),
# builds kickoff with `cargo build --release --locked`, and prints the median
# wall time of RUNS runs next to the baseline `git for-each-ref` (one git
# process listing every ref of the same repository), measured side by side.
# Then the same on a copy without the recorded feature parents, as a clone
# that only fetched teammates' branches sees it: every feature is attributed
# from history, and the listing must come out identical.
#
# Usage: bench/list.sh [RUNS]   (default 21; the goal is under 100 ms)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-21}

cargo build --release --locked --quiet
BIN=$PWD/target/release/kickoff

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kickoff-bench-list.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
REPO=$WORK/repo
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1
git init --quiet -b main "$REPO"
git -C "$REPO" remote add origin "$WORK/origin.git"

MAIN_COMMITS=2000 KICKOFFS=50 FEATURES=6 TARGET_REFS=4000
# Kickoff i is cut from main commit 1000+15*i, dated 2024-01-01 + 3*i days; its
# feature parents are written to .git/config as `kickoff feature` records them.
DATES=$(for k in $(seq 1 "$KICKOFFS"); do date -u -d "2024-01-01 + $((3 * k)) days" +%y%m%d; done | paste -sd, -)
awk -v main="$MAIN_COMMITS" -v kickoffs="$KICKOFFS" -v features="$FEATURES" -v dates="$DATES" '
function blob(text) { printf "data %d\n%s\n", length(text) + 1, text }
function commit(ref, mark, when, msg, from, merge, path, content) {
  printf "commit %s\nmark :%d\ncommitter Bench <bench@example.com> %d +0000\n", ref, mark, when
  blob(msg)
  if (from) printf "from :%d\n", from
  if (merge) printf "merge :%d\n", merge
  printf "M 644 inline %s\n", path
  blob(content)
}
BEGIN {
  split(dates, kdate, ",")
  t0 = 1700000000
  for (i = 1; i <= main; i++)
    commit("refs/heads/main", i, t0 + i * 600, "main commit " i, (i > 1 ? i - 1 : 0), 0, "main/file" (i % 50), "line " i)
  mark = main
  for (k = 1; k <= kickoffs; k++) {
    base = 1000 + 15 * k
    if (base > main) base = main
    name = sprintf("kickoff-%s-project%02d", kdate[k], k)
    tip = base; when = t0 + base * 600
    for (c = 1; c <= 4; c++) {
      mark++; when += 60
      commit("refs/heads/" name, mark, when, "P" k "-" c " kickoff work", tip, 0, "k" k "/work" c, "work " c)
      tip = mark
    }
    for (f = 1; f <= features; f++) {
      fname = sprintf("feature/P%d-%d-task", k, f)
      mark++; when += 60
      commit("refs/heads/" fname, mark, when, "P" k "-" f " feature work", tip, 0, "k" k "/feature" f, "feature " f)
      fm = mark
      printf "reset refs/remotes/origin/%s\nfrom :%d\n\n", fname, fm
      printf "[branch \"%s\"]\n\tkickoff = %s\n\tgh-merge-base = %s\n", fname, name, name > "/dev/stderr"
      if (f <= 3) {
        mark++; when += 60
        commit("refs/heads/" name, mark, when, "Merge " fname, tip, fm, "k" k "/merge" f, "merged " f)
        tip = mark
      }
    }
    printf "reset refs/remotes/origin/%s\nfrom :%d\n\n", name, tip
  }
  printf "reset refs/remotes/origin/main\nfrom :%d\n\n", main
}' 2>>"$REPO/.git/config" | git -C "$REPO" fast-import --quiet

# Fill up to TARGET_REFS with tags and old remote feature branches on main.
have=$(git -C "$REPO" for-each-ref | wc -l)
missing=$((TARGET_REFS - have))
{
  for i in $(seq 1 "$missing"); do
    c=$(( (i % MAIN_COMMITS) + 1 ))
    if (( i % 2 )); then echo "create refs/tags/v0.$((i / 100)).$((i % 100))-b$i :$c"; else echo "create refs/remotes/origin/feature/OLD-$i :$c"; fi
  done
} | sed 's/ :\([0-9]*\)$/ \1/' > "$WORK/fill.txt"
# Resolve the main commit numbers to object ids.
git -C "$REPO" rev-list --reverse main > "$WORK/main.txt"
awk 'NR==FNR { oid[NR] = $1; next } { print $1, $2, oid[$3] }' "$WORK/main.txt" "$WORK/fill.txt" \
  | git -C "$REPO" update-ref --stdin
git -C "$REPO" pack-refs --all
git -C "$REPO" checkout --quiet main

refs=$(git -C "$REPO" for-each-ref | wc -l)
kickoffs=$("$BIN" -C "$REPO" list --json | grep -c '"name": "kickoff-' || true)
echo "repository: $refs refs, $kickoffs live kickoffs, $(git -C "$REPO" rev-list --count --all) commits"

# Median wall time in milliseconds of RUNS runs of a command.
median_ms() {
  local times=()
  "$@" >/dev/null # warm-up
  for _ in $(seq 1 "$RUNS"); do
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null
    e=$(date +%s%N)
    times+=($(( (e - s) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v n="$RUNS" '{ a[NR] = $1 } END { printf "%.1f", a[int((n + 1) / 2)] / 1000 }'
}

# Median CPU time (user + system) in milliseconds, with GNU time when present:
# a figure that depends less on what else the machine is doing.
median_cpu_ms() {
  [ -x /usr/bin/time ] || { echo "n/a"; return; }
  for _ in $(seq 1 "$RUNS"); do
    /usr/bin/time -f '%U %S' -o "$WORK/time.txt" "$@" >/dev/null
    awk '{ printf "%d\n", ($1 + $2) * 1000 }' "$WORK/time.txt"
  done | sort -n | awk -v n="$RUNS" '{ a[NR] = $1 } END { print a[int((n + 1) / 2)] }'
}

list_ms=$(median_ms "$BIN" -C "$REPO" list --json)
list_cpu=$(median_cpu_ms "$BIN" -C "$REPO" list --json)
git_ms=$(median_ms git -C "$REPO" for-each-ref --format='%(refname) %(objectname)')
ratio=$(awk -v a="$list_ms" -v b="$git_ms" 'BEGIN { printf "%.1f", a / b }')

# The copy without `branch.<feature>.kickoff`: parents come from history.
INFER=$WORK/infer
cp -a "$REPO" "$INFER"
git -C "$INFER" config --name-only --get-regexp '^branch\..*\.kickoff$' | sort -u > "$WORK/keys.txt"
while read -r key; do git -C "$INFER" config --unset "$key"; done < "$WORK/keys.txt"
if ! cmp -s <("$BIN" -C "$REPO" list --json) <("$BIN" -C "$INFER" list --json); then
  echo "error: the listing with parents inferred from history differs from the recorded one" >&2
  exit 1
fi
infer_ms=$(median_ms "$BIN" -C "$INFER" list --json)
infer_cpu=$(median_cpu_ms "$BIN" -C "$INFER" list --json)

echo "kickoff list --json: median ${list_ms} ms over $RUNS runs (goal: under 100 ms)"
echo "kickoff list --json: median CPU time (user + system) ${list_cpu} ms"
echo "kickoff list --json, $(wc -l < "$WORK/keys.txt") feature parents inferred from history (none recorded): median ${infer_ms} ms, CPU ${infer_cpu} ms; same listing"
echo "load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) on $(nproc 2>/dev/null || echo '?') cores"
echo "baseline git for-each-ref: median ${git_ms} ms; kickoff list --json takes ${ratio}x the baseline"
