#!/usr/bin/env bash
# Time `kickoff versions --json` on a repository with N platform tags (default
# 1000), median of RUNS runs, next to the baseline `git for-each-ref` reading the
# same tags with their peeled commits and trailers. Target: under 100 ms.
#
#   bench/versions.sh [N] [RUNS]
set -euo pipefail

N=${1:-1000}
RUNS=${2:-15}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kickoff-bench-versions.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

echo "building kickoff (release, locked)..." >&2
cargo build --release --locked --quiet --manifest-path "$ROOT/Cargo.toml"
BIN="$ROOT/target/release/kickoff"

echo "making a repository with $N platform tags..." >&2
REPO="$WORK/repo"
git init --quiet -b main "$REPO"
# One commit and one annotated platform tag per version, via fast-import.
{
    for i in $(seq 1 "$N"); do
        major=$((i / 100)); minor=$(((i / 10) % 10)); patch=$((i % 10))
        v="$major.$minor.$patch"
        ts=$((1700000000 + i * 3600))
        day=$(printf '%02d' $(((i % 28) + 1)))
        kickoff="kickoff-2401${day}-project-$i"
        msg="Release work $i"
        echo "commit refs/heads/main"
        echo "mark :$i"
        echo "committer bench <bench@example.com> $ts +0000"
        echo "data ${#msg}"
        echo "$msg"
        echo "M 644 inline file.txt"
        echo "data ${#i}"
        echo "$i"
        echo
        tagmsg=$(printf 'platform v%s: %s\n\nKickoff: %s\nKickoff-Base: %040d\nDeploy-Date: 2024-01-%s\nTicket: PROJ-%d\nTicket: PROJ-%d\n' \
            "$v" "$kickoff" "$kickoff" 0 "$day" "$i" "$((i + 10000))")
        echo "tag platform/v$v"
        echo "from :$i"
        echo "tagger bench <bench@example.com> $ts +0000"
        echo "data $(( $(printf '%s\n' "$tagmsg" | wc -c) ))"
        printf '%s\n' "$tagmsg"
        echo
    done
} | git -C "$REPO" fast-import --quiet
git -C "$REPO" checkout --quiet main
count=$(git -C "$REPO" tag -l 'platform/v*' | wc -l)
[ "$count" -eq "$N" ] || { echo "expected $N tags, got $count" >&2; exit 1; }
listed=$("$BIN" -C "$REPO" versions --json | grep -c '"tag":')
[ "$listed" -eq "$N" ] || { echo "kickoff listed $listed of $N versions" >&2; exit 1; }

# Median wall time in ms of a command, over RUNS runs (after one warm-up).
median_ms() {
    "$@" >/dev/null
    local times=()
    for _ in $(seq 1 "$RUNS"); do
        local t0 t1
        t0=$(date +%s%N)
        "$@" >/dev/null
        t1=$(date +%s%N)
        times+=($(((t1 - t0) / 1000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'
}

kick=$(median_ms "$BIN" -C "$REPO" versions --json)
base=$(median_ms git -C "$REPO" for-each-ref 'refs/tags/platform/' \
    '--format=%(refname) %(*objectname) %(creatordate) %(trailers)')
echo "kickoff versions --json, $N platform tags: median ${kick} ms over $RUNS runs (target < 100 ms)"
echo "baseline git for-each-ref (same tags, peeled commit, trailers): median ${base} ms"
awk -v k="$kick" -v b="$base" 'BEGIN { printf "ratio kickoff/baseline: %.2f\n", k / b }'
awk -v k="$kick" 'BEGIN { exit !(k < 100) }' && echo "PASS: under 100 ms" || echo "FAIL: not under 100 ms"
