#!/bin/sh
# The conflict radar on any repository, against `git merge-tree --stdin`
# (release build), side by side in one run: verdict and path agreement,
# then the cold and warm time ratios. See bench/radar.py.
#
# Usage: bench/radar.sh REPO [--refs PATTERN] [--rounds N]
#   e.g. bench/radar.sh ~/src/project --refs 'refs/heads/kickoff-*'
# REPO itself is not written to: the runs happen in a shared clone.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$1" && pwd); shift
(cd "$here" && cargo build --release --locked --quiet)
# An isolated git: no user or system config, fixed identity.
cfg=$(mktemp)
trap 'rm -f "$cfg"' EXIT
export GIT_CONFIG_GLOBAL="$cfg" GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
export LC_ALL=C NO_COLOR=1
python3 "$here/bench/radar.py" "$repo" "$here/target/release/kickoff" "$@"
