"""The per-build cache (--build-cache DIR, the daemon's STATE/build-cache) never
changes a result: `analyze` with an empty cache, a filled one and a damaged one
prints exactly tests/expected/analyze/'s output on every dump this machine has;
a damaged entry is replaced; an entry of another build is not taken for this
one's; the daemon's sandboxed workers fill the cache through their parent.

Environment: KTRIAGE, KT_SAMPLE, KT_VMCORES (as `make integration` sets).
"""
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_analyze_unchanged as unchanged  # noqa: E402
import test_daemon as td  # noqa: E402

KTRIAGE = unchanged.KTRIAGE
EXPECTED = unchanged.EXPECTED
REGEN = unchanged.REGEN
ENTRY = re.compile(r"^[0-9a-f]{40}\.(btf|kallsyms)\.ktc$")


def analyze(scenario_dir, cache, *args):
    run = subprocess.run([KTRIAGE, "analyze", *args, "--build-cache", cache, "vmcore.kdump"],
                         cwd=scenario_dir, capture_output=True, text=True, timeout=300)
    return run.returncode, run.stdout


def expected(stem, ext):
    with open(os.path.join(EXPECTED, stem + ext)) as f:
        return f.read()


def damage(path):
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.seek(size // 2)
        f.write(b"\xff" * 64)


class BuildCache(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="kt-build-cache-")

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def entries(self, cache):
        return sorted(n for n in os.listdir(cache) if not n.startswith(".")) \
            if os.path.isdir(cache) else []

    def check_dump(self, stem, scenario_dir):
        cache = os.path.join(self.root, stem)
        want = expected(stem, ".txt")
        for attempt in ("empty cache", "filled cache"):
            rc, out = analyze(scenario_dir, cache)
            self.assertEqual(out, want, "%s, %s: analyze differs" % (stem, attempt))
        names = self.entries(cache)
        for name in names:
            self.assertRegex(name, ENTRY, "%s: an unexpected file in the cache" % stem)
        for name in names:
            damage(os.path.join(cache, name))
        rc, out = analyze(scenario_dir, cache, "--json")
        self.assertEqual(out, expected(stem, ".json"), "%s: differs with a damaged cache" % stem)
        rc, out = analyze(scenario_dir, cache)
        self.assertEqual(out, want, "%s: differs after the damaged entries went" % stem)
        return names

    def test_analyze_is_unchanged_with_an_empty_a_filled_and_a_damaged_cache(self):
        dumps = dict(REGEN.dumps(unchanged.VMCORES))
        filled = 0
        for stem, scenario_dir in sorted(dumps.items()):
            if not os.path.exists(os.path.join(EXPECTED, stem + ".txt")):
                continue
            names = self.check_dump(stem, scenario_dir)
            filled += len(names) == 2
        # The 6.x dumps carry kallsyms in VMCOREINFO and BTF: both are kept.
        self.assertGreater(filled, 0, "no dump filled the cache with its BTF and kallsyms")

    def test_an_entry_of_another_build_is_not_taken(self):
        dumps = dict(REGEN.dumps(unchanged.VMCORES))
        builds = {}
        for stem, scenario_dir in sorted(dumps.items()):
            cache = os.path.join(self.root, "probe-" + stem)
            analyze(scenario_dir, cache)
            names = self.entries(cache)
            if len(names) == 2:
                builds.setdefault(names[0].split(".")[0], (stem, scenario_dir, cache))
        if len(builds) < 2:
            self.skipTest("one kernel build among this machine's dumps: nothing to mix")
        (a_stem, a_dir, a_cache), (b_stem, b_dir, b_cache) = list(builds.values())[:2]
        a_id = os.path.basename(glob.glob(os.path.join(a_cache, "*.btf.ktc"))[0]).split(".")[0]
        mixed = os.path.join(self.root, "mixed")
        os.mkdir(mixed)
        for path in glob.glob(os.path.join(b_cache, "*.ktc")):
            kind = os.path.basename(path).split(".")[1]
            shutil.copy(path, os.path.join(mixed, "%s.%s.ktc" % (a_id, kind)))
        rc, out = analyze(a_dir, mixed)
        self.assertEqual(out, expected(a_stem, ".txt"),
                         "%s took %s's cache entries (renamed) for its own" % (a_stem, b_stem))

    def test_the_daemons_workers_fill_the_cache(self):
        root = tempfile.mkdtemp(prefix="kt-daemon-", dir=self.root)
        d = td.Daemon(root)
        d.start()
        try:
            inodes = []
            for i in range(2):
                host = os.path.join(d.crash, "127.0.0.1-2024-05-0%d-10:11:12" % (i + 1))
                os.mkdir(host)
                shutil.copy(td.sample_dump(), os.path.join(host, "vmcore"))
                d.wait_finished(i + 1)
                cache = os.path.join(d.state, "build-cache")
                self.assertEqual(len(self.entries(cache)), 2,
                                 "after dump %d: %r\n%s" % (i + 1, self.entries(cache),
                                                            d.log_text()[-3000:]))
                inodes.append(sorted(os.stat(os.path.join(cache, e)).st_ino
                                     for e in self.entries(cache)))
            # The second worker, which may open nothing, read the entries through
            # descriptors: a miss would have written and adopted new files.
            self.assertEqual(inodes[0], inodes[1], "the second worker missed the cache")
            analyses = d.analyses()
            self.assertEqual([a[2] for a in analyses], ["triaged", "triaged"], analyses)
            self.assertEqual(analyses[0][4:6], analyses[1][4:6],
                             "verdict and signature differ between a cold and a cached worker")
            self.assertNotIn("build cache", d.log_text())
        finally:
            d.stop()


if __name__ == "__main__":
    unittest.main()
