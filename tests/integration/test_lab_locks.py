"""ktriage locks and analyze on the lab's own lock scenarios (lab/scenarios).

Each dump under $KT_LAB_VMCORES (default /tmp/kt/locks; any depth: a directory
holding vmcore.kdump and manifest.json whose scenario is one of lab/scenarios)
was captured with lab/capture.  Its manifest's ground_truth.locks is what the
scenario's module printed before the crash: each lock's address, kind, owner
(for locks that record none, the task that took it) and waiters.  ktriage must
find, from memory alone:

- the lock at that address, of that kind, named by its symbol;
- the exact waiters;
- the owner from the owner word (mutex, rwsem), or, for a semaphore or a
  spinlock, no owner but the taker among the holder candidates, judged likely,
  with a reason; for a spinlock, the spinning CPU;
- percpu_rw_semaphore readers from the readers' stacks (6.1 and 6.12);
- a completion: every waiter waits on it, and no lock with an owner is made up;
- sb_writers of a frozen file system (no address in the manifest): the lock
  whose waiters are the blocked writers, named by its super_block: device,
  file system type, mount point and that it is frozen.

analyze must give the scenario's verdict and its summary must name the lock
and the culprit (comm:pid).  Without captures the tests skip.
"""
import glob
import json
import os
import subprocess
import unittest

KTRIAGE = os.environ.get("KTRIAGE", "build/ktriage")
LAB = os.environ.get("KT_LAB_VMCORES", "/tmp/kt/locks")
HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = {os.path.basename(p)[:-3]
             for p in glob.glob(os.path.join(HERE, "..", "..", "lab", "scenarios", "*.sh"))}
INFERRED = {"semaphore", "spinlock", "rwlock"}


def lab_dumps():
    found = []
    for root, _dirs, files in os.walk(LAB):
        if "vmcore.kdump" in files and "manifest.json" in files:
            with open(os.path.join(root, "manifest.json")) as f:
                m = json.load(f)
            if m.get("scenario") in SCENARIOS:
                found.append((root, m))
    return sorted(found, key=lambda x: x[0])


def run(*args):
    out = subprocess.run([KTRIAGE, *args], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise AssertionError(f"ktriage {' '.join(args)} exited {out.returncode}: {out.stderr}")
    return out.stdout


def label(d, m):
    return f"{m['scenario']} ({m.get('kernel_release')}, {os.path.relpath(d, LAB)})"


class LabLocksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dumps = lab_dumps()
        if not cls.dumps:
            raise unittest.SkipTest(f"no lab lock captures under {LAB} (KT_LAB_VMCORES): "
                                    "capture them with lab/capture")

    def locks(self, d):
        return json.loads(run("locks", os.path.join(d, "vmcore.kdump"), "--json"))

    def test_locks_against_ground_truth(self):
        checked = 0
        for d, m in self.dumps:
            got = self.locks(d)
            for want in m["ground_truth"].get("locks", []):
                with self.subTest(dump=label(d, m), lock=want["symbol"]):
                    self.check_lock(got, want)
                    checked += 1
        self.assertGreater(checked, 0)

    def check_lock(self, got, want):
        if want["kind"] == "completion":
            return self.check_completion(got, want)
        if want.get("address") is None:
            return self.check_frozen(got, want)
        address = int(want["address"], 16)
        by_address = {int(l["address"], 16): l for l in got["locks"]}
        self.assertIn(address, by_address, f"{want['symbol']} not among "
                      f"{[l['symbol'] for l in got['locks']]}")
        lock = by_address[address]
        self.assertEqual((lock["symbol"] or "").split(" [")[0], want["symbol"])
        self.assertEqual(lock["kind"], want["kind"])
        self.assertEqual(sorted(lock["waiter_pids"]), sorted(want["waiter_pids"]),
                         f"{want['symbol']}: waiters")
        if want["kind"] in INFERRED:
            self.check_candidates(lock, want)
        elif want.get("owner_pid") is not None:
            self.assertEqual(lock["owner_pid"], want["owner_pid"], f"{want['symbol']}: owner")
        for reader in want.get("reader_pids", []):
            self.assertIn(reader, lock.get("reader_pids", []), f"{want['symbol']}: readers "
                          f"({lock.get('problem')})")
        for writer in want.get("writer_waiter_pids", []):
            self.assertIn(writer, lock.get("writer_waiter_pids", []))

    def check_candidates(self, lock, want):
        # The kernel records no holder: no owner is made up, the taker is a likely candidate.
        self.assertIsNone(lock["owner_pid"], f"{want['symbol']}: an owner was made up")
        likely = [c for c in lock["holder_candidates"] if c["confidence"] == "likely"]
        self.assertEqual([c["pid"] for c in likely], [want["owner_pid"]],
                         f"{want['symbol']}: candidates {lock['holder_candidates']}")
        self.assertTrue(likely[0]["reason"])
        if want["kind"] == "spinlock":
            self.assertTrue(lock["spinner_cpus"], "no CPU spinning on it")

    def check_completion(self, got, want):
        address = int(want["address"], 16)
        waits = {w["pid"]: w for w in got["waits"]}
        for pid in want["waiter_pids"]:
            self.assertIn(pid, waits, f"{pid} waits on nothing")
            self.assertEqual(waits[pid]["kind"], "completion")
            self.assertEqual(int(waits[pid]["object"], 16), address)
            self.assertEqual(waits[pid]["symbol"].split(" [")[0], want["symbol"])
        self.assertFalse([l for l in got["locks"] if int(l["address"], 16) == address],
                         "a completion was decoded as a lock")
        self.assertFalse([w for w in got["waits"] if w["pid"] in want["waiter_pids"]
                          and len(w["chain"]) > 1], "a completion waiter got an owner")

    def check_frozen(self, got, want):
        waiters = sorted(want["waiter_pids"])
        match = [l for l in got["locks"] if sorted(l["waiter_pids"]) == waiters]
        self.assertEqual(len(match), 1, f"no lock with waiters {waiters}: "
                         f"{[(l['symbol'], l['waiter_pids']) for l in got['locks']]}")
        lock = match[0]
        self.assertEqual(lock["kind"], "percpu_rwsem")
        name = lock["symbol"] or ""
        for part in ("s_writers", want["device"], want["fstype"], want["frozen_mount"], "frozen"):
            self.assertIn(part, name, f"sb_writers named {name!r}")
        self.assertIsNone(lock["owner_pid"])

    def test_analyze_names_lock_and_culprit(self):
        for d, m in self.dumps:
            with self.subTest(dump=label(d, m)):
                report = json.loads(run("analyze", os.path.join(d, "vmcore.kdump"), "--json"))
                self.assertEqual(report["verdict"], m["expected_verdict"])
                summary = report["summary"]
                for lock in m["ground_truth"].get("locks", []):
                    if lock.get("address") is None:
                        for part in (lock["device"], lock["frozen_mount"], "frozen"):
                            self.assertIn(part, summary)
                        continue
                    self.assertIn(lock["symbol"], summary, "lock not named")
                    if lock["kind"] == "completion":
                        self.assertIn("no owner", summary)
                for pid, comm in culprits(m):
                    self.assertIn(f"{comm}:{pid}", summary, "culprit not named")


class LabKmemTest(unittest.TestCase):
    """kmem on 6.10+ captures against tests/refs/kmem612.py (drgn and the debug vmlinux;
    crash 8.0.2 cannot open these kernels), stored beside the dump as kmem-ref.txt."""

    def test_kmem_rows(self):
        refs = [(d, m) for d, m in lab_dumps() if os.path.exists(os.path.join(d, "kmem-ref.txt"))]
        if not refs:
            self.skipTest(f"no kmem-ref.txt beside the lab captures under {LAB}")
        for d, m in refs:
            with self.subTest(dump=label(d, m)):
                want = {}
                with open(os.path.join(d, "kmem-ref.txt")) as f:
                    for line in f:
                        key, _, value = line.strip().rpartition(" ")
                        want[key] = value
                got = json.loads(run("kmem", os.path.join(d, "vmcore.kdump"), "--json"))
                self.assertEqual(want["kernel nr_slabs"], want["SLAB"], "reference inconsistent")
                self.assertEqual(got["slab"], int(want["SLAB"]))
                self.assertEqual(got["shared"], int(want["SHARED"]))
                self.assertEqual(got["total_mem"], int(want["TOTAL MEM"]))
                self.assertEqual(got["free"], int(want["FREE"]))


def culprits(m):
    """Who the summary must blame: the holder of the lock the waiters queue on
    (for a spinlock, the holder, whoever panicked), every task of a deadlock."""
    locks = [l for l in m["ground_truth"].get("locks", []) if l.get("owner_pid") is not None]
    tasks = {t["pid"]: t["comm"] for t in m["ground_truth"].get("tasks", [])}
    owners = {l["owner_pid"] for l in locks}
    waiters = {p for l in locks for p in l["waiter_pids"]}
    if owners and owners <= waiters:  # a cycle: all of them
        return sorted((p, tasks[p]) for p in owners)
    return sorted((p, tasks[p]) for p in owners if p in tasks)


if __name__ == "__main__":
    unittest.main()
