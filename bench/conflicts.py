#!/usr/bin/env python3
"""The conflict radar benchmark: generator and runner (called by bench/conflicts.sh).

  conflicts.py generate DIR [--seed N]   build the large repository with git fast-import
  conflicts.py run DIR KICKOFF_BIN [ROUNDS]   time git and kickoff side by side
                                              (medians of ROUNDS runs, default 3), check parity

The repository: 20,800 files in 208 directories, a main line of 60 commits,
and 40 kickoff branches cut from main at different points (commits 15..54),
each with 4 to 6 commits touching 250 to 400 files in total: 75% of the
touches in the team's own area (4 directories of 100 files, picked at random,
so areas overlap now and then), 5% in 1,000 "hot" files every team works on,
the rest anywhere; a few files are added, deleted and renamed. Files have 40
to 100 lines. Main commits touch 5 to 15 files each. Edits change, insert or delete 1 to 3
lines, so pairs range from disjoint to conflicting in many files.

The git baseline is `git merge-tree --write-tree --name-only --no-messages
--stdin` fed every pair in one process (its written objects go to a temporary
object directory, so runs do not grow the repository). kickoff runs
`kickoff conflicts --json --exit-zero` over the same 41 tips (40 kickoffs and
main), i.e. the same 820 pairs in the same order.
"""

import json
import os
import resource
import random
import shutil
import subprocess
import sys
import tempfile
import time

TOP, SUB, PER_DIR = 16, 13, 100  # 16 * 13 * 100 = 20,800 files
MAIN_COMMITS = 60
KICKOFFS = 40
HOT = 1000
WORDS = ["", "}", "    }", "    return x;", "    x += 1;", "    if (x) {", "        y();", "    // note"]


def file_paths():
    return [f"src/m{t:02}/p{s:02}/f{f:03}.txt" for t in range(TOP) for s in range(SUB) for f in range(PER_DIR)]


def new_text(rng, tag):
    lines = []
    for n in range(40 + rng.randrange(60)):
        if rng.random() < 0.3:
            lines.append(rng.choice(WORDS))
        else:
            lines.append(f"{tag} line {n} {rng.randrange(10**6)}")
    return "\n".join(lines) + "\n"


def edit(rng, text, who):
    lines = text.split("\n")[:-1]
    for _ in range(1 + rng.randrange(3)):
        at = rng.randrange(max(len(lines), 1))
        r = rng.random()
        if r < 0.15 and len(lines) > 5:
            del lines[at]
        elif r < 0.35:
            lines.insert(at, f"{who} inserted {rng.randrange(10**6)}")
        else:
            lines[at] = f"{who} changed {rng.randrange(10**6)}"
    return "\n".join(lines) + "\n"


class Stream:
    def __init__(self, out):
        self.out = out
        self.mark = 0
        self.time = 1_700_000_000
        self.blobs = {}

    def blob(self, text):
        data = text.encode()
        self.mark += 1
        self.out.write(b"blob\nmark :%d\ndata %d\n" % (self.mark, len(data)) + data + b"\n")
        return self.mark

    def commit(self, ref, parent, changes, message):
        """changes: {path: text or None (delete)}; returns the commit mark."""
        marks = {p: (self.blob(t) if t is not None else None) for p, t in changes.items()}
        self.mark += 1
        self.time += 600
        msg = message.encode()
        head = b"commit %s\nmark :%d\ncommitter Bench <bench@example.com> %d +0000\ndata %d\n%s\n" % (
            ref.encode(), self.mark, self.time, len(msg), msg)
        self.out.write(head)
        if parent is not None:
            self.out.write(b"from :%d\n" % parent)
        for p, m in marks.items():
            if m is None:
                self.out.write(b"D %s\n" % p.encode())
            else:
                self.out.write(b"M 100644 :%d %s\n" % (m, p.encode()))
        return self.mark


def touch_set(rng, tree, hot, count, area=None):
    """count paths: 75% in the team's own area (when it has one), 5% hot, the rest anywhere."""
    paths = list(tree)
    chosen = set()
    while len(chosen) < count:
        r = rng.random()
        if area and r < 0.75:
            pool = area
        elif r < 0.8:
            pool = hot
        else:
            pool = paths
        p = rng.choice(pool)
        if p in tree:
            chosen.add(p)
    return sorted(chosen)


def generate(directory, seed):
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", directory], check=True)
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=directory, stdin=subprocess.PIPE)
    s = Stream(proc.stdin)
    paths = file_paths()
    tree = {p: new_text(rng, p.rsplit("/", 1)[-1]) for p in paths}
    hot = rng.sample(paths, HOT)
    main_marks, main_trees = [], []
    mark = s.commit("refs/heads/main", None, dict(tree), "Initial import")
    main_marks.append(mark)
    main_trees.append(dict(tree))
    for c in range(1, MAIN_COMMITS):
        changes = {}
        for p in touch_set(rng, tree, hot, 5 + rng.randrange(10)):
            changes[p] = tree[p] = edit(rng, tree[p], f"main{c}")
        mark = s.commit("refs/heads/main", mark, changes, f"Main change {c}")
        main_marks.append(mark)
        main_trees.append(dict(tree))
    for k in range(KICKOFFS):
        cut = 15 + k  # 40 different cut points on main
        t = dict(main_trees[cut])
        parent = main_marks[cut]
        name = f"kickoff-24{k // 28 + 5:02}{k % 28 + 1:02}-team{k:02}"
        total = 250 + rng.randrange(150)
        commits = 4 + rng.randrange(3)
        dirs = rng.sample(range(TOP * SUB), 4)  # the team's own area: 4 directories
        area = [p for p in paths if (int(p[5:7]) * SUB + int(p[9:11])) in dirs]
        touched = touch_set(rng, t, hot, total, area)
        rng.shuffle(touched)
        per = len(touched) // commits + 1
        for c in range(commits):
            changes = {}
            for p in touched[c * per:(c + 1) * per]:
                if p not in t:
                    continue
                r = rng.random()
                if r < 0.01:  # delete
                    del t[p]
                    changes[p] = None
                elif r < 0.02:  # rename with an edit
                    text = edit(rng, t.pop(p), name)
                    changes[p] = None
                    dest = p.replace("/f", f"/moved-k{k:02}-f")
                    t[dest] = changes[dest] = text
                else:
                    changes[p] = t[p] = edit(rng, t[p], name)
            if c == 0:
                for n in range(3):  # new files of the team's own
                    p = f"src/m{k % TOP:02}/new-k{k:02}-{n}.txt"
                    t[p] = changes[p] = new_text(rng, p)
            parent = s.commit(f"refs/heads/{name}", parent, changes, f"{name} work {c}")
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit("git fast-import failed")
    subprocess.run(["git", "repack", "-adq"], cwd=directory, check=True)


def tips(directory):
    out = subprocess.run(["git", "for-each-ref", "--format=%(refname:short)", "refs/heads/kickoff-*"],
                         cwd=directory, check=True, capture_output=True, text=True).stdout.split()
    return sorted(out) + ["main"]


def pairs_of(names):
    return [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]


def git_baseline(directory, pairs):
    """Run git merge-tree --stdin on every pair; return (seconds, verdicts)."""
    objects = os.path.join(directory, ".git", "objects")
    # The objects git writes go to a temporary directory (in RAM when /dev/shm
    # exists, which only makes git faster), so runs do not grow the repository.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=shm, prefix="kickoff-bench-objects-") as quarantine:
        env = dict(os.environ, GIT_OBJECT_DIRECTORY=quarantine, GIT_ALTERNATE_OBJECT_DIRECTORIES=objects)
        stdin = "".join(f"{a} {b}\n" for a, b in pairs).encode()
        start, cpu = time.perf_counter(), child_cpu()
        out = subprocess.run(["git", "merge-tree", "--write-tree", "--name-only", "--no-messages", "--stdin"],
                             cwd=directory, env=env, input=stdin, capture_output=True, check=True).stdout
        elapsed = (time.perf_counter() - start, child_cpu() - cpu)
    fields = out.split(b"\0")
    verdicts, i = [], 0
    for _ in pairs:
        status, i = fields[i], i + 2  # status (1 clean, 0 conflicted), tree
        names = []
        while fields[i] != b"":
            names.append(fields[i].decode())
            i += 1
        i += 1
        verdicts.append(("conflict" if status == b"0" else "clean", sorted(names)))
    return elapsed, verdicts


def kickoff_run(directory, binary):
    start, cpu = time.perf_counter(), child_cpu()
    out = subprocess.run([binary, "conflicts", "--json", "--exit-zero"], cwd=directory,
                         capture_output=True, check=True).stdout
    elapsed = (time.perf_counter() - start, child_cpu() - cpu)
    report = json.loads(out)
    verdicts = [(p["status"], sorted(x["path"] for x in p["paths"])) for p in report["pairs"]]
    names = [(p["a"]["name"], p["b"]["name"]) for p in report["pairs"]]
    cached = sum(1 for p in report["pairs"] if p["cached"])
    return elapsed, verdicts, names, cached


def move_one_kickoff(directory, name):
    """One more commit on a kickoff: edit three of its files through a temporary index."""
    env = dict(os.environ, GIT_INDEX_FILE=os.path.join(directory, ".git", "bench-index"))
    run = lambda *a, **k: subprocess.run(a, cwd=directory, env=env, check=True, capture_output=True, text=True, **k).stdout
    run("git", "read-tree", name)
    for path in run("git", "ls-tree", "-r", "--name-only", name).split()[:3]:
        text = run("git", "cat-file", "blob", f"{name}:{path}") + "one more line\n"
        oid = run("git", "hash-object", "-w", "--stdin", input=text).strip()
        run("git", "update-index", "--cacheinfo", f"100644,{oid},{path}")
    tree = run("git", "write-tree").strip()
    commit = run("git", "commit-tree", tree, "-p", name, "-m", "one more commit").strip()
    run("git", "update-ref", f"refs/heads/{name}", commit)
    os.remove(env["GIT_INDEX_FILE"])


def parity(pairs, git, ours):
    same = unknown = 0
    mismatches = []
    for pair, g, k in zip(pairs, git, ours):
        if k[0] == "could-not-check":
            unknown += 1
        elif g == k:
            same += 1
        else:
            mismatches.append((pair, g, k))
    return same, unknown, mismatches


def child_cpu():
    """CPU seconds (user + system) used by finished child processes so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def median_of(rounds, measure):
    """Run measure() `rounds` times; return ((median wall s, median CPU s), last result)."""
    walls, cpus, result = [], [], None
    for _ in range(rounds):
        (wall, cpu), *result = measure()
        walls.append(wall)
        cpus.append(cpu)
    walls.sort()
    cpus.sort()
    return (walls[len(walls) // 2], cpus[len(cpus) // 2]), result


def run(directory, binary, rounds):
    names = tips(directory)
    pairs = pairs_of(names)
    files = subprocess.run(["git", "ls-tree", "-r", "--name-only", "main"], cwd=directory, check=True,
                           capture_output=True, text=True).stdout.count("\n")
    print(f"repository: {files} files on main, {len(names) - 1} kickoffs + main, {len(pairs)} pairs; "
          f"{os.cpu_count()} cores; medians of {rounds} rounds", flush=True)
    cache_dir = os.path.join(directory, ".git", "kickoff")

    def cold():
        shutil.rmtree(cache_dir, ignore_errors=True)
        return kickoff_run(directory, binary)

    git_cold, (git_verdicts,) = median_of(rounds, lambda: git_baseline(directory, pairs))
    ko_cold, (ko_verdicts, ko_names, _) = median_of(rounds, cold)
    assert ko_names == pairs, "kickoff checked other pairs than git"
    same, unknown, bad = parity(pairs, git_verdicts, ko_verdicts)
    conflicting = sum(1 for v in git_verdicts if v[0] == "conflict")
    print(f"cold runs done: git {git_cold[0]:.3f} s, kickoff {ko_cold[0]:.3f} s", file=sys.stderr, flush=True)

    # Every cache file as the cold run left it, restored before each warm round.
    warm_cache = {}
    for name in os.listdir(cache_dir):
        with open(os.path.join(cache_dir, name), "rb") as f:
            warm_cache[name] = f.read()
    moved = names[len(names) // 2]
    move_one_kickoff(directory, moved)

    def warm():
        shutil.rmtree(cache_dir, ignore_errors=True)
        os.makedirs(cache_dir)
        for name, data in warm_cache.items():
            with open(os.path.join(cache_dir, name), "wb") as f:
                f.write(data)
        return kickoff_run(directory, binary)

    git_warm, (git_verdicts2,) = median_of(rounds, lambda: git_baseline(directory, pairs))
    ko_warm, (ko_verdicts2, _, cached) = median_of(rounds, warm)
    same2, unknown2, bad2 = parity(pairs, git_verdicts2, ko_verdicts2)

    print(f"git verdicts: {conflicting} conflicting pairs, {len(pairs) - conflicting} clean")
    def line(label, git, ko, target):
        print(f"{label:<22}  wall: git {git[0]:7.3f} s  kickoff {ko[0]:7.3f} s  ratio {git[0] / ko[0]:6.1f}x  (target >= {target}x)")
        print(f"{'':<22}  cpu:  git {git[1]:7.3f} s  kickoff {ko[1]:7.3f} s  ratio {git[1] / ko[1]:6.1f}x")
    line("cold (empty cache)", git_cold, ko_cold, 5)
    line(f"warm ({len(pairs) - cached} pairs redone)", git_warm, ko_warm, 50)
    print(f"  (warm: {moved} gained a commit; kickoff's cache holds the other pairs)")
    total = 2 * len(pairs)
    print(f"parity: {same + same2}/{total} pair verdicts and path sets identical to git, "
          f"{unknown + unknown2} could not be checked, {len(bad) + len(bad2)} mismatches")
    for pair, g, k in (bad + bad2)[:10]:
        print(f"  MISMATCH {pair}: git {g} kickoff {k}")
    if bad or bad2:
        sys.exit(1)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "generate":
        seed = int(sys.argv[4]) if len(sys.argv) >= 5 and sys.argv[3] == "--seed" else 2024
        generate(sys.argv[2], seed)
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) == 5 else 3)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
