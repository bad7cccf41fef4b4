"""Kernels before 6.0, with no debuginfo: their VMCOREINFO names no kallsyms
table, so ktriage finds kallsyms by scanning the kernel image, and then
everything above it must work as on 6.1.

The dumps: $KT_VMCORES_515 (Linux 5.15.135, QEMU and real-kdump captures),
$KT_VMCORES_54 (TencentOS 5.4.119: legacy printk buffer, no BUILD-ID, the
pre-5.8 percpu_rw_semaphore) and $KT_VMCORES_OLD_EXTRA (more captures made
with vmlab/oldkernel/regen-oldk.sh; optional).  Each is checked against its
own manifest.json and vmcore-dmesg.txt:

  dmesg    equals vmcore-dmesg.txt
  sym      _stext and the other VMCOREINFO symbols at VMCOREINFO's addresses
  ps       every task of the manifest (pid, comm, task_struct), one idle
           task per CPU, unique pids, every parent a listed task
  bt       every task unwinds, reliably, to an entry point
  locks    each ground-truth lock with its kind, owner, waiters, readers
  kmem     every counter, SHARED and SLAB from the mem_map walk included
  analyze  the manifest's verdict, from the log and memory, high confidence
"""
import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus import KTRIAGE, manifest, run_ktriage  # noqa: E402
CORPORA = [os.environ.get("KT_VMCORES_515", "../shared/vmcores-5.15"),
           os.environ.get("KT_VMCORES_54", "../shared/vmcores-5.4"),
           os.environ.get("KT_VMCORES_OLD_EXTRA", "/tmp/kt/oldk/vmcores-5.15")]
ENTRY_POINTS = ("ret_from_fork", "entry_SYSCALL_64", "secondary_startup_64",
                "start_kernel", "x86_64_start_kernel", "rest_init")


def old_dumps():
    dirs = []
    for corpus in CORPORA:
        if corpus and os.path.isdir(corpus):
            dirs += sorted(os.path.join(corpus, d) for d in os.listdir(corpus)
                           if os.path.exists(os.path.join(corpus, d, "vmcore.kdump"))
                           and os.path.exists(os.path.join(corpus, d, "manifest.json")))
    return dirs


def run(*args):
    return run_ktriage(*args).stdout


def vmcoreinfo(d):
    """KEY=VALUE lines of the dump's VMCOREINFO (stored uncompressed)."""
    with open(os.path.join(d, "vmcore.kdump"), "rb") as f:
        data = f.read(1 << 20)
    start = data.find(b"OSRELEASE=")
    end = data.find(b"\0", start)
    return dict(line.split("=", 1) for line in data[start:end].decode().splitlines()
                if "=" in line)


def name(d):
    return os.path.relpath(d, os.path.dirname(os.path.dirname(d)))


class OldKernels(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dumps = old_dumps()
        if not cls.dumps:
            raise unittest.SkipTest(f"no pre-6.0 dump in {CORPORA}")

    def each(self, check):
        for d in self.dumps:
            with self.subTest(dump=name(d)):
                check(d, os.path.join(d, "vmcore.kdump"))

    def test_vmcoreinfo_has_no_kallsyms(self):
        self.each(self.check_vmcoreinfo_has_no_kallsyms)

    def check_vmcoreinfo_has_no_kallsyms(self, d, dump):
        self.assertNotIn("SYMBOL(kallsyms_names)", vmcoreinfo(d),
                         "not a pre-6.0 dump: kallsyms is named in VMCOREINFO")

    def test_dmesg_equals_vmcore_dmesg(self):
        self.each(self.check_dmesg_equals_vmcore_dmesg)

    def check_dmesg_equals_vmcore_dmesg(self, d, dump):
        with open(os.path.join(d, "vmcore-dmesg.txt")) as f:
            self.assertEqual(run("dmesg", dump), f.read())

    def test_symbols_agree_with_vmcoreinfo(self):
        self.each(self.check_symbols_agree_with_vmcoreinfo)

    def check_symbols_agree_with_vmcoreinfo(self, d, dump):
        info = vmcoreinfo(d)
        names = [n for n in ("_stext", "init_uts_ns", "swapper_pg_dir", "init_top_pgt",
                             "node_online_map") if f"SYMBOL({n})" in info]
        for n in names:
            # by name: VMCOREINFO's address (aliases at one address print the
            # preferred name, so by address only the address is compared)
            out = run("sym", dump, n).split()
            self.assertEqual(int(out[0], 16), int(info[f"SYMBOL({n})"], 16), f"{n}: {out}")

    def test_ps_lists_every_task(self):
        self.each(self.check_ps_lists_every_task)

    def check_ps_lists_every_task(self, d, dump):
        tasks = json.loads(run("ps", dump, "--json"))
        m = manifest(d)
        pids = [t["pid"] for t in tasks if not t["idle"]]
        self.assertEqual(len(pids), len(set(pids)), "a pid listed twice")
        self.assertEqual(sum(1 for t in tasks if t["idle"]), m["cpus"],
                         "one idle task per CPU")
        by_pid = {t["pid"]: t for t in tasks if not t["idle"]}
        for t in tasks:
            if not t["idle"] and t["pid"] != 1 and t["pid"] != 2:
                self.assertIn(t["ppid"], by_pid, f"pid {t['pid']}: parent {t['ppid']} not listed")
        # Tasks the scenario saw alive at the crash: blocked or holding a lock,
        # or named with their task_struct (a writer may have exited since).
        truth = m["ground_truth"]
        alive = [t for t in truth.get("tasks", []) if "task_struct" in t or any(
            r.startswith(("owner:", "waiter:", "reader:")) for r in t["roles"])]
        if "crash_task" in truth:
            alive.append(truth["crash_task"])
        self.assertTrue(alive or not truth.get("tasks"), "nothing to check")
        for want in alive:
            got = by_pid.get(want["pid"])
            self.assertIsNotNone(got, f"pid {want['pid']} ({want['comm']}) not listed")
            self.assertEqual(got["comm"], want["comm"])
            if "task_struct" in want:
                self.assertEqual(int(got["task"], 16), int(want["task_struct"], 16))

    def test_bt_unwinds_every_task(self):
        self.each(self.check_bt_unwinds_every_task)

    def check_bt_unwinds_every_task(self, d, dump):
        stacks = json.loads(run("bt", dump, "--all-tasks", "--json"))
        self.assertGreater(len(stacks), 10)
        for s in stacks:
            frames = s["frames"]
            self.assertTrue(frames, f"pid {s['pid']} ({s['comm']}): no frame")
            self.assertFalse(s.get("partial"), f"pid {s['pid']}: partial")
            unreliable = [f["function"] for f in frames if not f["reliable"]]
            self.assertFalse(unreliable, f"pid {s['pid']}: unreliable frames {unreliable}")
            last = frames[-1]["function"] or ""
            self.assertTrue(last.startswith(ENTRY_POINTS),
                            f"pid {s['pid']} ({s['comm']}) ends in {last}")

    def test_kmem_reads_every_counter(self):
        self.each(self.check_kmem_reads_every_counter)

    def check_kmem_reads_every_counter(self, d, dump):
        """SHARED and SLAB walk the mem_map: before 5.9 VMCOREINFO lacks
        SECTION_SIZE_BITS and MAX_PHYSMEM_BITS, and the walk must not need them."""
        out = subprocess.run([KTRIAGE, "kmem", dump, "--json"], capture_output=True,
                             text=True, timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotIn("warning", out.stderr)
        kmem = json.loads(out.stdout)
        self.assertGreater(kmem["slab"], 0)
        self.assertGreater(kmem["shared"], 0)
        self.assertLess(kmem["used"], kmem["total_mem"])

    def test_locks_ground_truth(self):
        with_locks = [d for d in self.dumps if manifest(d)["ground_truth"].get("locks")]
        if not with_locks:
            self.skipTest("no dump with ground-truth locks")
        for d in with_locks:
            with self.subTest(dump=name(d)):
                self.check_locks(d, os.path.join(d, "vmcore.kdump"))

    def check_locks(self, d, dump):
        truth = manifest(d)["ground_truth"]["locks"]
        got = json.loads(run("locks", dump, "--json"))
        by_address = {int(l["address"], 16): l for l in got["locks"]}
        for want in truth:
            lock = by_address.get(int(want["address"], 16))
            self.assertIsNotNone(lock, f"{want['symbol']} not found")
            self.assertEqual((lock["symbol"] or "").split(" [")[0], want["symbol"])
            self.assertEqual(lock["kind"], want["kind"])
            self.assertEqual(lock["owner_pid"], want["owner_pid"], want["symbol"])
            self.assertEqual(sorted(lock["waiter_pids"]), sorted(want["waiter_pids"]),
                             want["symbol"])
            for key in ("reader_pids", "writer_waiter_pids"):
                if key in want:
                    self.assertEqual(sorted(lock.get(key) or []), sorted(want[key]),
                                     f"{want['symbol']}: {key}")
        if manifest(d)["scenario"] == "cgroup_deadlock":
            self.assertEqual(len(got["cycles"]), 1, "the cgroup cycle")
            self.assertEqual({int(a, 16) for a in got["cycles"][0]["locks"]},
                             {int(l["address"], 16) for l in truth})

    def test_analyze_from_memory(self):
        self.each(self.check_analyze_from_memory)

    def check_analyze_from_memory(self, d, dump):
        m = manifest(d)
        got = json.loads(run("analyze", dump, "--json"))
        self.assertEqual(got["verdict"], m["expected_verdict"], got["summary"])
        self.assertEqual(got["confidence_level"], "high", got["summary"])
        primary = next(f for f in got["findings"] if f.get("primary"))
        self.assertIn("memory", primary["sources"], "verdict not backed by memory")


if __name__ == "__main__":
    unittest.main()
