# Shared start of the benchmark scripts that need a repository with a bare
# remote. Set `bench` to the benchmark's name, then source it:
#
#   bench=NAME
#   . "$(dirname "$0")/lib.sh"
#
# It builds kickoff (`cargo build --release --locked`) and sets `here` (the
# project), `bin` (the release binary) and `tmp` (a temporary directory removed
# on exit). Git is isolated from the user's config, with a fixed identity.
# Last it creates "$tmp/origin.git" (bare) and "$tmp/work" (its clone, the
# current directory on return).

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
cargo build --release --locked --quiet
bin="$here/target/release/kickoff"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kickoff-bench-$bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

: > "$tmp/gitconfig"
export HOME="$tmp" GIT_CONFIG_GLOBAL="$tmp/gitconfig" GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
unset GIT_DIR GIT_WORK_TREE
export LC_ALL=C

git init -q --bare -b main "$tmp/origin.git"
git init -q -b main "$tmp/work"
cd "$tmp/work"
git remote add origin "$tmp/origin.git"
