#!/bin/sh
# Added time of the kickoff pre-push hook on `git push` (release build).
#
# Baseline, measured side by side in the same run: the same push with no hook
# (an empty hooks directory). Pushes go to a local bare remote, so the figure
# is the hook's own cost, not the network's.
#
#   1. one feature branch, in a repository with 4,000+ refs (target: < 50 ms added)
#   2. one kickoff, with the conflict check against main and 10 other live kickoffs
#   3. the installed hook alone on one feature branch line (no push around it)
#
# Usage: bench/hook.sh [ROUNDS]   (default 31 pushes per side; prints medians)
set -eu

rounds=${1:-31}
bench=hook
. "$(dirname "$0")/lib.sh"
mkdir -p src "$tmp/no-hooks"

# A code base of 2,000 files.
i=0
while [ $i -lt 2000 ]; do
    printf 'file %s\nline 2\nline 3\n' "$i" > "src/f$i.txt"
    i=$((i + 1))
done
git add -A && git commit -q -m "Code base"
git push -q --no-verify origin main

# Ten live kickoffs, each changing 40 files; neighbours overlap.
k=1
while [ $k -le 10 ]; do
    name=$(printf 'kickoff-2405%02d-project%s' "$k" "$k")
    git checkout -q -b "$name" main
    j=0
    while [ $j -lt 40 ]; do
        n=$((k * 30 + j))
        printf 'file %s\n%s\nline 3\n' "$n" "$name" > "src/f$n.txt"
        j=$((j + 1))
    done
    git commit -q -am "$name work"
    k=$((k + 1))
done
git checkout -q main
git push -q --no-verify origin 'refs/heads/kickoff-*:refs/heads/kickoff-*'

# Thousands of refs: feature branches (pushed, so tracked too) and tags.
head=$(git rev-parse HEAD)
{
    i=0
    while [ $i -lt 1500 ]; do
        echo "create refs/heads/feature/OLD-$i $head"
        echo "create refs/tags/build-$i $head"
        i=$((i + 1))
    done
} | git update-ref --stdin
git push -q --no-verify origin 'refs/heads/feature/*:refs/heads/feature/*'
git fetch -q origin
git pack-refs --all
refs=$(git for-each-ref | wc -l | tr -d ' ')

git checkout -q -b feature/BENCH-1 main
git push -q --no-verify -u origin feature/BENCH-1
git checkout -q -b kickoff-240601-pushed main
j=0
while [ $j -lt 40 ]; do
    n=$((45 + j))
    printf 'file %s\npushed\nline 3\n' "$n" > "src/f$n.txt"
    j=$((j + 1))
done
git commit -q -am "Pushed kickoff work"
git push -q --no-verify -u origin kickoff-240601-pushed

"$bin" hook install >/dev/null 2>&1
hooks=$(git rev-parse --git-path hooks)

now_ms() { date +%s%N | cut -c1-13; }

# One timed push of a fresh commit on $1; $2 = hooks directory to use.
timed_push() {
    git checkout -q "$1"
    echo "$(now_ms)" >> bench.txt
    git add bench.txt
    git commit -q -m "bench"
    start=$(date +%s%N)
    git -c core.hooksPath="$2" push -q origin "$1" 2>>"$tmp/push.log"
    end=$(date +%s%N)
    echo $(((end - start) / 1000))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

measure() {
    : > "$tmp/with"
    : > "$tmp/without"
    r=0
    while [ $r -lt "$rounds" ]; do
        timed_push "$1" "$tmp/no-hooks" >> "$tmp/without"
        timed_push "$1" "$hooks" >> "$tmp/with"
        r=$((r + 1))
    done
    without=$(median < "$tmp/without")
    with=$(median < "$tmp/with")
    awk -v a="$with" -v b="$without" -v what="$2" 'BEGIN {
        printf "%-44s without hook %7.1f ms   with hook %7.1f ms   added %6.1f ms   (x%.2f)\n",
            what, b / 1000, a / 1000, (a - b) / 1000, a / b }'
}

echo "repository: $refs refs, 2,000 files, 10 live kickoffs; $rounds pushes per side, medians"
echo "git: $(git --version); kickoff: $bin"
measure feature/BENCH-1 "push one feature branch:"
measure kickoff-240601-pushed "push a kickoff (conflict check, 10 others):"
# The hook alone, without the push around it: the shim and kickoff judging one
# feature branch line, as git would run it (less noise than two pushes).
git checkout -q feature/BENCH-1
line="refs/heads/feature/BENCH-1 $(git rev-parse HEAD) refs/heads/feature/BENCH-1 $(git rev-parse HEAD~)"
: > "$tmp/alone"
r=0
while [ $r -lt "$rounds" ]; do
    start=$(date +%s%N)
    echo "$line" | "$hooks/pre-push" origin "$tmp/origin.git"
    end=$(date +%s%N)
    echo $(((end - start) / 1000)) >> "$tmp/alone"
    r=$((r + 1))
done
awk -v a="$(median < "$tmp/alone")" 'BEGIN {
    printf "%-44s %7.1f ms\n", "the hook alone, one feature branch line:", a / 1000 }'
# Prove the conflict check ran on the kickoff pushes.
if grep -q '\[conflicts\]' "$tmp/push.log"; then
    echo "conflict check: ran (it reported conflicts with the overlapping kickoffs)"
else
    echo "conflict check: reported nothing" >&2
fi
