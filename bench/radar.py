#!/usr/bin/env python3
"""The conflict radar on any repository, against git itself (see bench/radar.sh).

  radar.py REPO KICKOFF_BIN [--refs PATTERN] [--rounds N] [--keep DIR]

REPO is cloned (shared objects, so nothing is written to it) into a scratch
directory with its default branch checked out, as a user's clone would be.
Every ref of REPO matching PATTERN (default refs/heads/*) becomes a local
branch of the clone, and every pair of those branches is checked twice,
side by side in the same run:

  git     `git merge-tree --write-tree --name-only -z --stdin`, all pairs in
          one process, objects written to a temporary object directory;
  kickoff `kickoff conflicts --json --exit-zero --no-main BRANCH...`.

Printed: the verdict and path-set agreement with git on every pair, the
pairs kickoff could not check, and the time ratios, wall clock and CPU time
(user + system) of each process (medians of N rounds):

  cold  kickoff with no cache vs git;
  warm  after the first branch gained a commit, kickoff with the cache of
        the previous run vs git (which has no cache).

The load average before and after is printed too: the ratios are measured
side by side, so a busy machine slows both.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def git(repo, *args, input=None, env=None):
    p = subprocess.run(["git", "-C", repo, *args], input=input, capture_output=True, env=env)
    if p.returncode != 0:
        sys.exit(f"git {' '.join(args[:3])} failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
    return p.stdout


def cpu():
    """User + system CPU time of every finished child process so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def git_verdicts(repo, names):
    """Every pair's verdict from one `git merge-tree --stdin`, and the time."""
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    stdin = "".join(f"{a} {b}\n" for a, b in pairs).encode()
    with tempfile.TemporaryDirectory(prefix="radar-objects-") as objects:
        env = dict(os.environ)
        env["GIT_OBJECT_DIRECTORY"] = objects
        env["GIT_ALTERNATE_OBJECT_DIRECTORIES"] = os.path.join(repo, ".git", "objects")
        start, c0 = time.perf_counter(), cpu()
        out = git(repo, "merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", "--stdin", input=stdin, env=env)
        elapsed = (time.perf_counter() - start, cpu() - c0)
    fields = out.split(b"\0")
    verdicts, at = {}, 0
    for a, b in pairs:
        status = fields[at]
        at += 2
        paths = set()
        while fields[at] != b"":
            paths.add(fields[at].decode("utf-8", "replace"))
            at += 1
        at += 1
        verdicts[(a, b)] = ("clean", frozenset()) if status == b"1" else ("conflict", frozenset(paths))
    return verdicts, elapsed


def kickoff_verdicts(repo, binary, names):
    start, c0 = time.perf_counter(), cpu()
    out = subprocess.run(
        [binary, "conflicts", "--json", "--exit-zero", "--no-main", *names],
        cwd=repo, capture_output=True, check=True,
    ).stdout
    elapsed = (time.perf_counter() - start, cpu() - c0)
    report = json.loads(out)
    verdicts, by_git, cached = {}, 0, 0
    for p in report["pairs"]:
        key = (p["a"]["name"], p["b"]["name"])
        verdicts[key] = (p["status"], frozenset(c["path"] for c in p["paths"]), p.get("reason"))
        by_git += bool(p.get("decided_by") == "git")
        cached += bool(p.get("cached"))
    return verdicts, elapsed, by_git, cached


def compare(gitv, kv):
    same_verdict = same_paths = unknown = 0
    differ = []
    for key, (status, paths) in gitv.items():
        kstatus, kpaths, reason = kv[key]
        if kstatus == "could-not-check":
            unknown += 1
            differ.append(f"  {key[0]} {key[1]}: could not check: {reason}")
            continue
        if kstatus == status:
            same_verdict += 1
            if kpaths == paths:
                same_paths += 1
                continue
        differ.append(f"  {key[0]} {key[1]}: git {status} {sorted(paths)}, kickoff {kstatus} {sorted(kpaths)}")
    return same_verdict, same_paths, unknown, differ


def clear_cache(repo):
    shutil.rmtree(os.path.join(repo, ".git", "kickoff"), ignore_errors=True)


def gain_a_commit(repo, branch, round_no):
    """One more commit on `branch`: a line appended to a file it has."""
    files = git(repo, "ls-tree", "-r", "--name-only", branch).decode().split("\n")
    path = next(f for f in files if f.endswith((".md", ".rs", ".txt", ".toml")))
    blob = git(repo, "cat-file", "blob", f"{branch}:{path}") + f"one more line {round_no}\n".encode()
    index = os.path.join(repo, ".git", "radar-bench-index")
    env = dict(os.environ, GIT_INDEX_FILE=index)
    git(repo, "read-tree", branch, env=env)
    oid = git(repo, "hash-object", "-w", "--stdin", input=blob).decode().strip()
    mode = git(repo, "ls-tree", branch, "--", path).decode().split()[0]
    git(repo, "update-index", "--cacheinfo", f"{mode},{oid},{path}", env=env)
    tree = git(repo, "write-tree", env=env).decode().strip()
    os.unlink(index)
    commit = git(repo, "commit-tree", tree, "-p", branch, "-m", "one more commit").decode().strip()
    git(repo, "update-ref", f"refs/heads/{branch}", commit)


def loadavg():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("repo")
    ap.add_argument("binary")
    ap.add_argument("--refs", default="refs/heads/*")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep")
    args = ap.parse_args()
    scratch = args.keep or tempfile.mkdtemp(prefix="radar-bench-")
    clone = os.path.join(scratch, "repo")
    if os.path.exists(clone):
        shutil.rmtree(clone)
    subprocess.run(["git", "clone", "-q", "--shared", args.repo, clone], check=True)
    refs = git(args.repo, "for-each-ref", "--format=%(refname) %(objectname)", args.refs).decode().split("\n")
    names = []
    for line in filter(None, refs):
        ref, oid = line.split()
        name = ref.split("/", 2)[-1] if ref.startswith("refs/heads/") else ref.replace("/", "-")
        git(clone, "update-ref", f"refs/heads/{name}", oid)
        names.append(name)
    head = git(clone, "symbolic-ref", "--short", "HEAD").decode().strip()
    names = [n for n in names if n != head]
    n_pairs = len(names) * (len(names) - 1) // 2
    print(f"repository {args.repo}: {len(names)} branches matching {args.refs}, {n_pairs} pairs")
    print(f"load average before: {loadavg()}")
    binary = os.path.abspath(args.binary)
    cold, warm = [], []
    for r in range(args.rounds):
        gitv, g = git_verdicts(clone, names)
        clear_cache(clone)
        kv, k, by_git, _ = kickoff_verdicts(clone, binary, names)
        cold.append((g, k))
        if r == 0:
            sv, sp, unknown, differ = compare(gitv, kv)
            print(f"cold parity: verdicts {sv}/{n_pairs} identical, path sets {sp}/{n_pairs} identical, "
                  f"could not check {unknown}; {by_git} pair(s) decided by git merge-tree")
            for d in differ[:40]:
                print(d)
        gain_a_commit(clone, names[0], r)
        gitv, g = git_verdicts(clone, names)
        kv, k, by_git, cached = kickoff_verdicts(clone, binary, names)
        warm.append((g, k))
        if r == 0:
            sv, sp, unknown, differ = compare(gitv, kv)
            print(f"warm parity: verdicts {sv}/{n_pairs} identical, path sets {sp}/{n_pairs} identical, "
                  f"could not check {unknown}; {cached} pair(s) from the cache, {by_git} decided by git")
            for d in differ[:40]:
                print(d)
    for label, runs in (("cold", cold), ("warm", warm)):
        for kind, k in (("wall", 0), ("cpu", 1)):
            g = statistics.median(x[k] for x, _ in runs)
            m = statistics.median(y[k] for _, y in runs)
            ratios = ", ".join(f"{x[k] / y[k]:.1f}x" for x, y in runs)
            print(f"{label} {kind}: git {g * 1000:.0f} ms, kickoff {m * 1000:.0f} ms, "
                  f"ratio of medians {g / m:.1f}x (rounds: {ratios})")
    print(f"load average after: {loadavg()}")
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
