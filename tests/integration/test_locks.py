"""ktriage locks against each dump's ground truth (manifest.json).

The manifest's ground_truth.locks names each lock the scenario set up, its
owner and its waiters, as the scenario's module printed them before the
crash.  ktriage must find the same from memory alone: the owner from the
lock's owner word, the waiters from the lock's own wait list (or waiter
tree) and from the waiters' stacks, and the readers of a percpu rwsem from
the stacks that still hold it.  The log is never read here: each waiter
must be marked as found in the lock's list, and on the PREEMPT_RT dump
through task->pi_blocked_on.

The D-state tasks (drgn-ref/meta.json) must each have a wait; dumps whose
manifest names no lock must show no cycle.  --dot must be a graph Graphviz
accepts (checked with dot -Tpng when Graphviz is installed).
"""
import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus import KTRIAGE, SAMPLE, VMCORES, dump_dirs, manifest, run_ktriage  # noqa: E402
VMLINUX_DIR = os.environ.get("KT_VMLINUX_DIR", "/tmp/kt/debug/usr/lib/debug/boot")


def run(*args):
    return run_ktriage(*args).stdout


def locks_json(d, *extra):
    return json.loads(run("locks", os.path.join(d, "vmcore.kdump"), "--json", *extra))


def name(d):
    return os.path.basename(os.path.normpath(d))


class LocksTest(unittest.TestCase):
    def test_ground_truth_locks(self):
        checked = 0
        for d in dump_dirs():
            truth = manifest(d).get("ground_truth", {}).get("locks") or []
            if not truth:
                continue
            got = locks_json(d)
            by_address = {int(l["address"], 16): l for l in got["locks"]}
            for want in truth:
                with self.subTest(dump=name(d), lock=want["symbol"]):
                    self.check_lock(by_address, want)
                    checked += 1
        self.assertGreater(checked, 0, "no dump with ground-truth locks was found")

    def check_lock(self, by_address, want):
        address = int(want["address"], 16)
        self.assertIn(address, by_address,
                      f"{want['symbol']} at {want['address']} not found; ktriage found "
                      f"{[l['symbol'] for l in by_address.values()]}")
        lock = by_address[address]
        symbol = lock["symbol"] or ""
        self.assertEqual(symbol.split(" [")[0], want["symbol"], "symbol differs")
        self.assertEqual(lock["kind"], want["kind"], f"{want['symbol']}: kind differs")
        self.assertEqual(sorted(lock["waiter_pids"]), sorted(want["waiter_pids"]),
                         f"{want['symbol']}: waiters differ")
        for w in lock["waiters"]:
            self.assertTrue(w["in_wait_list"],
                            f"{want['symbol']}: pid {w['pid']} not found in the lock's own list")
        self.assertEqual(lock["owner_pid"], want["owner_pid"],
                         f"{want['symbol']}: owner differs ({lock['owner_source']})")
        if "owner_task_struct" in want:
            self.assertEqual(int(lock["owner_task"], 16), int(want["owner_task_struct"], 16),
                             f"{want['symbol']}: owner task_struct differs")
        if "owner_word_after" in want:
            self.assertEqual(int(lock["owner_word"], 16), int(want["owner_word_after"], 16),
                             f"{want['symbol']}: owner word differs")
            self.assertTrue(lock["corrupt"], f"{want['symbol']}: owner word "
                            f"{lock['owner_word']} not reported as corrupt")
        for key in ("reader_pids", "writer_waiter_pids"):
            if key in want:
                self.assertEqual(sorted(lock.get(key) or []), sorted(want[key]),
                                 f"{want['symbol']}: {key} differ")

    def test_cgroup_deadlock_cycle(self):
        """The cycle: pids that hold one of the two locks and wait on the other."""
        dirs = [d for d in dump_dirs() if manifest(d).get("scenario") == "cgroup_deadlock"]
        self.assertTrue(dirs, "the bundled sample is cgroup_deadlock")
        for d in dirs:
            with self.subTest(dump=name(d)):
                truth = manifest(d)["ground_truth"]
                addresses = {l["symbol"]: int(l["address"], 16) for l in truth["locks"]}
                holds = lambda roles: any(r.startswith(("owner:", "reader:")) for r in roles)
                waits = lambda roles: any(r.startswith("waiter:") for r in roles)
                pids = {t["pid"] for t in truth["tasks"] if holds(t["roles"]) and waits(t["roles"])}
                got = locks_json(d)
                self.assertEqual(len(got["cycles"]), 1, f"cycles: {got['cycles']}")
                cycle = got["cycles"][0]
                self.assertEqual(set(cycle["pids"]), pids, "the cycle's tasks differ")
                self.assertEqual({int(a, 16) for a in cycle["locks"]},
                                 {addresses["cgroup_mutex"], addresses["cgroup_threadgroup_rwsem"]},
                                 "the cycle's locks differ")
                # Each step: pids[i] waits on locks[i], held by pids[i+1].
                by_address = {int(l["address"], 16): l for l in got["locks"]}
                for i, pid in enumerate(cycle["pids"]):
                    lock = by_address[int(cycle["locks"][i], 16)]
                    holder = cycle["pids"][(i + 1) % len(cycle["pids"])]
                    self.assertIn(pid, lock["waiter_pids"], f"step {i}: {pid} does not wait")
                    self.assertIn(holder, [lock["owner_pid"]] + lock.get("reader_pids", []),
                                  f"step {i}: {holder} does not hold {lock['symbol']}")

    def test_rt_mutex_corrupt(self):
        d = os.path.join(VMCORES, "rt_mutex_corrupt")
        if not os.path.exists(os.path.join(d, "vmcore.kdump")):
            self.skipTest(f"{d}: not on this machine")
        truth = manifest(d)["ground_truth"]["locks"][0]
        got = locks_json(d)
        lock = next(l for l in got["locks"] if int(l["address"], 16) == int(truth["address"], 16))
        self.assertEqual(lock["owner_word"], "0x1")
        self.assertTrue(lock["corrupt"], "an owner word of 0x1 with sleeping waiters is damage")
        self.assertIn("0x1", lock["problem"])
        for w in lock["waiters"]:
            self.assertTrue(w["via_pi_blocked_on"],
                            f"pid {w['pid']}: its pi_blocked_on does not lead to its waiter")
        waits = {w["pid"]: w for w in got["waits"]}
        for pid in truth["waiter_pids"]:
            self.assertEqual(waits[pid]["how"], "pi_blocked_on", f"pid {pid}")
            self.assertEqual(int(waits[pid]["object"], 16), int(truth["address"], 16), f"pid {pid}")
        # With the owner word gone, the owner comes from its pi_waiters.
        self.assertIn("pi_waiters", lock["owner_source"] or "")

    def test_blocked_tasks_have_waits(self):
        for d in dump_dirs():
            meta_path = os.path.join(d, "drgn-ref", "meta.json")
            if not os.path.exists(meta_path):
                continue
            with open(meta_path) as f:
                blocked = json.load(f).get("D_task_pids") or []
            truth = manifest(d).get("ground_truth", {}).get("locks") or []
            with self.subTest(dump=name(d)):
                got = locks_json(d)
                waits = {w["pid"]: w for w in got["waits"]}
                for pid in blocked:
                    self.assertIn(pid, waits, f"D-state pid {pid} has no wait")
                    self.assertNotEqual(waits[pid]["kind"], "none", f"pid {pid}")
                # Every ground-truth waiter's own stack leads to its lock.
                for lock in truth:
                    for pid in lock["waiter_pids"]:
                        self.assertEqual(int(waits[pid]["object"] or "0", 16),
                                         int(lock["address"], 16),
                                         f"pid {pid}'s stack does not lead to {lock['symbol']}")
                if not truth:
                    self.assertEqual(got["cycles"], [], "a cycle where the scenario has none")

    def test_hung_mutex_owner_waits_on_completion(self):
        d = os.path.join(VMCORES, "hung_mutex")
        if not os.path.exists(os.path.join(d, "vmcore.kdump")):
            self.skipTest(f"{d}: not on this machine")
        owner = manifest(d)["ground_truth"]["locks"][0]["owner_pid"]
        got = locks_json(d)
        wait = next(w for w in got["waits"] if w["pid"] == owner)
        self.assertEqual(wait["kind"], "completion")
        self.assertIsNotNone(wait["object"], "the completion's address")
        for w in got["waits"]:
            if w["pid"] != owner:
                self.assertEqual(w["chain"], [w["pid"], owner], f"pid {w['pid']}'s chain")

    def test_text_and_dot(self):
        for d in dump_dirs():
            truth = manifest(d).get("ground_truth", {}).get("locks") or []
            dump = os.path.join(d, "vmcore.kdump")
            with self.subTest(dump=name(d)):
                text = run("locks", dump)
                dot = run("locks", dump, "--dot")
                self.assertTrue(dot.startswith("digraph locks {"), dot[:80])
                self.assertTrue(dot.rstrip().endswith("}"))
                for lock in truth:
                    self.assertIn(lock["symbol"], text)
                    self.assertIn(f"l{int(lock['address'], 16):x} [shape=box", dot)
                if manifest(d).get("scenario") == "cgroup_deadlock":
                    self.assertIn("deadlock:", text)
                    self.assertIn("color=red", dot)

    def test_dot_renders_with_graphviz(self):
        if not shutil.which("dot"):
            self.skipTest("Graphviz (dot) is not installed")
        for d in dump_dirs():
            with self.subTest(dump=name(d)):
                dot = run("locks", os.path.join(d, "vmcore.kdump"), "--dot")
                out = subprocess.run(["dot", "-Tpng"], input=dot.encode(),
                                     capture_output=True, timeout=60)
                self.assertEqual(out.returncode, 0, f"dot: {out.stderr.decode()}")
                self.assertTrue(out.stdout.startswith(b"\x89PNG"), "dot gave no PNG")

    def test_usage(self):
        out = subprocess.run([KTRIAGE, "locks", os.path.join(SAMPLE, "vmcore.kdump"),
                              "--json", "--dot"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 2, out.stderr)
        out = subprocess.run([KTRIAGE, "locks", "/nonexistent/vmcore"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 1)
        self.assertTrue(out.stderr.startswith("ktriage: "), out.stderr)

    def test_vmlinux_gives_the_same(self):
        try:
            from test_vmlinux import elf_build_id
        except ImportError:
            self.skipTest("test_vmlinux.elf_build_id is not available")
        if not os.path.isdir(VMLINUX_DIR):
            self.skipTest(f"{VMLINUX_DIR}: no debug vmlinux on this machine")
        files = [os.path.join(VMLINUX_DIR, f) for f in os.listdir(VMLINUX_DIR)]
        ids = {elf_build_id(f): f for f in files}
        compared = 0
        for d in dump_dirs():
            if not (manifest(d).get("ground_truth", {}).get("locks")):
                continue
            vmlinux = ids.get(manifest(d).get("build_id"))
            if not vmlinux:
                continue
            with self.subTest(dump=name(d)):
                self.assertEqual(locks_json(d, "--vmlinux", vmlinux), locks_json(d))
                compared += 1
        if not compared:
            self.skipTest("no vmlinux matches a dump's build ID")


if __name__ == "__main__":
    unittest.main()
