#!/bin/sh
# Cost of a shared state change (`kickoff slot claim` / `release`) and of
# reading the state (`slot list`, `dashboard`) with a long deployment log
# (release build).
#
# Baseline, measured side by side in the same run: the smallest change the
# protocol needs done by hand with the git program: fetch the state ref, write
# one commit on it (`git commit-tree`), push it fast-forward only. The remote is
# a local bare repository, so the figures are kickoff's own cost, not the
# network's.
#
# Usage: bench/slots.sh [ROUNDS] [RECORDS]   (default 21 rounds, 1000 records; prints medians)
set -eu

rounds=${1:-21}
records=${2:-1000}
bench=slots
. "$(dirname "$0")/lib.sh"
cat > .kickoff.toml <<'EOF'
[slots]
names = ["dev1", "dev2", "dev3", "dev4"]
url = "https://{app}-{slot}.dev.example.com/"
deploy = ["true"]

[[slots.apps]]
name = "frontend"
port = 3000
base_port = 3001

[[slots.apps]]
name = "spring"
port = 8080
base_port = 8081

[[slots.apps]]
name = "django"
port = 8000
base_port = 9001
EOF
git add .kickoff.toml && git commit -q -m "Slot pool"
git push -q origin main
git branch kickoff-240510-bench main
git push -q origin kickoff-240510-bench

# A state whose log already holds $records deployment records.
mkdir -p "$tmp/state/deployments"
head=$(git rev-parse HEAD)
i=0
while [ $i -lt "$records" ]; do
    slot="dev$((i % 4 + 1))"
    id=$(printf '%012x' "$i")
    ts=$(printf '20240510T%02d%02d%02dZ' $((i / 3600 % 24)) $((i / 60 % 60)) $((i % 60)))
    cat > "$tmp/state/deployments/$ts-$slot-$id.json" <<EOF
{"id":"$id","slot":"$slot","kickoff":"kickoff-240510-bench","commit":"$head","platform_version":null,"tickets":["DASH-$i"],"who":{"name":"Bench","email":"bench@example.com"},"started_at":"2024-05-10T12:00:00Z","finished_at":"2024-05-10T12:00:05Z","duration_ms":5000,"status":"succeeded","exit_code":0,"image_tag":"kickoff-240510-bench-x","project":"$slot"}
EOF
    i=$((i + 1))
done
GIT_INDEX_FILE="$tmp/state.index" git --work-tree="$tmp/state" add -A
tree=$(GIT_INDEX_FILE="$tmp/state.index" git write-tree)
seed=$(git commit-tree -m "kickoff state: seed" "$tree")
git update-ref refs/kickoff/state "$seed"
git push -q origin refs/kickoff/state:refs/kickoff/state

now_us() { echo $(($(date +%s%N) / 1000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The baseline: fetch, one commit on the state tree, fast-forward push.
by_hand() {
    git fetch -q --no-tags origin +refs/kickoff/state:refs/kickoff/remotes/origin/state
    parent=$(git rev-parse refs/kickoff/remotes/origin/state)
    tree=$(git rev-parse "$parent^{tree}")
    new=$(git commit-tree -p "$parent" -m "by hand" "$tree")
    git push -q --no-verify origin "$new:refs/kickoff/state"
    git update-ref refs/kickoff/state "$new"
}

: > "$tmp/hand"; : > "$tmp/claim"; : > "$tmp/release"; : > "$tmp/list"; : > "$tmp/dash"
r=0
while [ $r -lt "$rounds" ]; do
    s=$(now_us); by_hand; e=$(now_us); echo $((e - s)) >> "$tmp/hand"
    s=$(now_us); "$bin" -q slot claim kickoff-240510-bench --slot dev1 >/dev/null; e=$(now_us); echo $((e - s)) >> "$tmp/claim"
    s=$(now_us); "$bin" -q slot release dev1 >/dev/null; e=$(now_us); echo $((e - s)) >> "$tmp/release"
    s=$(now_us); "$bin" -q slot list >/dev/null; e=$(now_us); echo $((e - s)) >> "$tmp/list"
    s=$(now_us); "$bin" -q dashboard --out "$tmp/site" >/dev/null; e=$(now_us); echo $((e - s)) >> "$tmp/dash"
    r=$((r + 1))
done

hand=$(median < "$tmp/hand")
report() {
    awk -v a="$(median < "$2")" -v b="$hand" -v what="$1" 'BEGIN {
        printf "%-40s %8.1f ms   (x%.2f the by-hand change)\n", what, a / 1000, a / b }'
}
echo "state: $records deployment records, 4 slots x 3 apps; $rounds rounds, medians"
echo "git: $(git --version); kickoff: $bin"
awk -v b="$hand" 'BEGIN { printf "%-40s %8.1f ms\n", "by hand: fetch + commit-tree + push", b / 1000 }'
report "kickoff slot claim (fetches branches too):" "$tmp/claim"
report "kickoff slot release:" "$tmp/release"
report "kickoff slot list:" "$tmp/list"
report "kickoff dashboard --out (100 shown):" "$tmp/dash"
