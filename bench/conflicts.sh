#!/bin/sh
# The conflict radar against git itself (release build).
#
# Baseline, measured side by side in the same run: `git merge-tree --write-tree
# --name-only --no-messages --stdin` fed every pair of 40 kickoffs + main (820
# pairs) in one process. Prints three figures:
#   1. cold: kickoff with an empty cache vs git             (target: >= 5x faster)
#   2. warm: after one kickoff gained a commit, vs git       (target: >= 50x faster)
#   3. parity: verdict and conflicted path set identical to git's on every pair
#
# Usage: bench/conflicts.sh [--regen] [ROUNDS]   (times are medians of ROUNDS runs, default 3)
# The generated repository (20,800 files) is kept in target/bench-conflicts
# and reused; --regen builds it again.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
cargo build --release --locked --quiet
bin="$here/target/release/kickoff"
repo="$here/target/bench-conflicts"

# An isolated git: no user or system config, fixed identity.
cfg="$here/target/bench-conflicts.gitconfig"
: > "$cfg"
export GIT_CONFIG_GLOBAL="$cfg" GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
export LC_ALL=C NO_COLOR=1

regen=
if [ "${1:-}" = "--regen" ]; then regen=1; shift; fi
rounds=${1:-3}
if [ -n "$regen" ] || [ ! -d "$repo/.git" ]; then
    rm -rf "$repo"
    start=$(date +%s)
    python3 bench/conflicts.py generate "$repo"
    echo "generated $repo in $(( $(date +%s) - start )) s"
else
    # Undo the commit a previous run added, so every run starts alike.
    git -C "$repo" for-each-ref --format='%(refname)' 'refs/heads/kickoff-*' |
    while read -r ref; do
        msg=$(git -C "$repo" log -1 --format=%s "$ref")
        if [ "$msg" = "one more commit" ]; then
            git -C "$repo" update-ref "$ref" "$ref~1"
        fi
    done
fi
python3 bench/conflicts.py run "$repo" "$bin" "$rounds"
