"""ktriage ps against drgn's task list, made with full debuginfo.

drgn-ref/ps.txt is "pid ppid cpu state comm" for every task, the idle task
of each present CPU first; its state is drgn's task_state_to_char(), the
letter /proc shows, where ktriage uses crash's two-letter names.  TASK_NEW
and TASK_WAKING have no letter of their own in /proc (R); crash and
ktriage name them NE and WA.  crash-ref/ps.txt is no reference here: crash
8.0.2 lists 3 tasks of these dumps (see crash-ref/ERRORS.txt).
"""
import json
import lzma
import os
import shutil
import struct
import subprocess
import tempfile
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus import KTRIAGE, SAMPLE, VMCORES, ElfDump  # noqa: E402

# crash's names -> drgn's (and /proc's) letters.
DRGN_LETTER = {"RU": "R", "IN": "S", "UN": "D", "ID": "I", "ST": "T", "TR": "t",
               "ZO": "Z", "DE": "X", "PA": "P", "NE": "R", "WA": "R"}


def shared_dumps():
    if not os.path.isdir(VMCORES):
        return []
    return sorted(os.path.join(VMCORES, d) for d in os.listdir(VMCORES)
                  if os.path.exists(os.path.join(VMCORES, d, "vmcore.kdump")))


def load_json(*path):
    with open(os.path.join(*path)) as f:
        return json.load(f)


def run(*args):
    return subprocess.run([KTRIAGE, *args], capture_output=True, text=True, timeout=120)


def ps_json(directory):
    out = run("ps", "--json", os.path.join(directory, "vmcore.kdump"))
    if out.returncode != 0:
        raise AssertionError(f"ktriage ps --json {directory} exited {out.returncode}: {out.stderr}")
    return json.loads(out.stdout)


def drgn_ps(directory):
    rows = []
    with open(os.path.join(directory, "drgn-ref", "ps.txt")) as f:
        lines = f.read().splitlines()
    for line in lines:
        fields = line.split(" ", 4)
        rows.append({"pid": int(fields[0]), "ppid": int(fields[1]), "cpu": int(fields[2]),
                     "state": fields[3], "comm": fields[4] if len(fields) > 4 else ""})
    return rows


def key(task):
    """Tasks by pid; the idle tasks (all pid 0) by CPU."""
    return (task["pid"], task["cpu"] if task["pid"] == 0 else -1)


class PsAgainstDrgn(unittest.TestCase):
    def check_dump(self, directory):
        ours = ps_json(directory)
        reference = drgn_ps(directory)
        mine = {key(t): t for t in ours}
        theirs = {key(t): t for t in reference}
        self.assertEqual(len(mine), len(ours), f"{directory}: a pid appears twice")
        only_ours = sorted(set(mine) - set(theirs))
        only_drgn = sorted(set(theirs) - set(mine))
        self.assertFalse(only_ours or only_drgn,
                         f"{directory}: tasks only ktriage lists {only_ours}, only drgn lists {only_drgn}")
        self.assertEqual([key(t) for t in ours], [key(t) for t in reference],
                         f"{directory}: not in drgn's order (idle tasks, then by pid)")
        differences = []
        for k, ref in theirs.items():
            got = mine[k]
            letter = DRGN_LETTER.get(got["state"], got["state"])
            for field, value in (("ppid", got["ppid"]), ("cpu", got["cpu"]),
                                 ("comm", got["comm"]), ("state", letter)):
                if value != ref[field]:
                    differences.append(f"pid {k[0]} {field}: ktriage {value!r}"
                                       f" ({got['state']}), drgn {ref[field]!r}")
        self.assertFalse(differences, f"{directory}:\n  " + "\n  ".join(differences))
        meta = load_json(directory, "drgn-ref", "meta.json")
        d_tasks = [t["pid"] for t in ours if t["state"] == "UN"]
        self.assertEqual(d_tasks, meta["D_task_pids"], f"{directory}: UN tasks vs drgn's D tasks")
        idle = [t for t in ours if t["idle"]]
        self.assertEqual(len(idle), meta["nr_present_cpus"], f"{directory}: one idle task per present CPU")
        self.assertEqual(len(ours) - len(idle), meta["nr_tasks"], f"{directory}: tasks but idle ones")
        return ours, meta

    def check_panic_task(self, directory, ours, meta):
        """What the panic CPU ran is marked on a CPU, at drgn's address."""
        on_cpu = [t for t in ours if t["on_cpu"]]
        panic = [t for t in on_cpu if t["cpu"] == meta["panic_cpu"]]
        self.assertEqual(len(panic), 1, f"{directory}: tasks on CPU {meta['panic_cpu']}: {panic}")
        self.assertEqual((panic[0]["pid"], panic[0]["comm"], int(panic[0]["task"], 16)),
                         (meta["panic_task_pid"], meta["panic_task_comm"],
                          int(meta["panic_task_addr"], 16)),
                         f"{directory}: the panic CPU's current task")
        self.assertLessEqual(len({t["cpu"] for t in on_cpu}), len(on_cpu))

    def check_ground_truth(self, directory, ours):
        """Task addresses and blocked times the scenario recorded."""
        manifest = load_json(directory, "manifest.json")
        truth = manifest.get("ground_truth") or {}
        by_pid = {t["pid"]: t for t in ours if t["pid"]}
        for task in truth.get("tasks", []):
            if "task_struct" in task:
                self.assertEqual(int(by_pid[task["pid"]]["task"], 16), int(task["task_struct"], 16),
                                 f"{directory}: pid {task['pid']}'s task_struct")
        meta = load_json(directory, "drgn-ref", "meta.json")
        for report in truth.get("hung_task_reports") or []:
            task = by_pid[report["pid"]]
            self.assertEqual(task["comm"], report["comm"])
            self.assertIn("blocked_ns", task, f"{directory}: pid {report['pid']} has no blocked_ns")
            blocked = task["blocked_ns"] / 1e9
            # The hung-task detector said "blocked for more than N seconds";
            # no task can have been blocked for longer than the uptime.
            self.assertGreaterEqual(blocked, report["seconds"],
                                    f"{directory}: pid {report['pid']} blocked for {blocked:.3f} s")
            self.assertLess(blocked, meta["uptime_s"] + 1,
                            f"{directory}: pid {report['pid']} blocked for {blocked:.3f} s")

    def test_sample(self):
        ours, meta = self.check_dump(SAMPLE)
        self.check_panic_task(SAMPLE, ours, meta)
        self.check_ground_truth(SAMPLE, ours)

    def test_shared_dumps(self):
        dumps = shared_dumps()
        if not dumps:
            self.skipTest(f"no shared dumps in {VMCORES}")
        for directory in dumps:
            with self.subTest(dump=os.path.basename(directory)):
                ours, meta = self.check_dump(directory)
                self.check_panic_task(directory, ours, meta)
                self.check_ground_truth(directory, ours)

    def test_preempt_rt(self):
        """The PREEMPT_RT kernel (rt_mutex_corrupt) is listed like the others."""
        directory = os.path.join(VMCORES, "rt_mutex_corrupt")
        if not os.path.exists(os.path.join(directory, "vmcore.kdump")):
            self.skipTest(f"no PREEMPT_RT dump in {VMCORES}")
        meta = load_json(directory, "drgn-ref", "meta.json")
        self.assertIn("-rt-", meta["release"])
        self.check_dump(directory)


def debug_vmlinux(release):
    """A debug vmlinux of this release on this machine, or None."""
    candidates = [os.environ.get("KT_VMLINUX", ""),
                  f"/usr/lib/debug/boot/vmlinux-{release}",
                  f"/tmp/refs/dbg/vmlinux-{release}",
                  f"/tmp/kt/debug/usr/lib/debug/boot/vmlinux-{release}"]
    return next((c for c in candidates if c and release in c and os.path.exists(c)), None)


class PsWithVmlinux(unittest.TestCase):
    def test_same_with_dwarf(self):
        """Types from a debug vmlinux's DWARF give the same task list."""
        release = load_json(SAMPLE, "manifest.json")["kernel_release"]
        vmlinux = debug_vmlinux(release)
        if not vmlinux:
            self.skipTest(f"no debug vmlinux-{release} here (see ../shared/vmlab/README.md)")
        dump = os.path.join(SAMPLE, "vmcore.kdump")
        with_dwarf = run("ps", "--json", "--vmlinux", vmlinux, dump)
        self.assertEqual(with_dwarf.returncode, 0, with_dwarf.stderr)
        self.assertEqual(json.loads(with_dwarf.stdout), ps_json(SAMPLE))


class ElfImage(ElfDump):
    """A QEMU ELF dump (physical PT_LOADs) opened for patching in place."""

    def physical(self, vaddr):
        # The direct map starts at page_offset_base, which KASLR aligns to
        # 1 GiB; these guests have 256 MiB, so the low 30 bits are physical.
        return vaddr & ((1 << 30) - 1)


class PsOnDamagedLists(unittest.TestCase):
    """A damaged process list gives the tasks before the damage and a
    warning: never a hang, a crash or tasks made up from garbage.  The real
    sysrq dump's ELF form is patched: one process's tasks.next made to point
    back into the list, or to nothing."""

    @classmethod
    def setUpClass(cls):
        source = os.path.join(VMCORES, "sysrq", "vmcore.elf.xz")
        if not os.path.exists(source):
            raise unittest.SkipTest(f"no {source}")
        cls.tmp = tempfile.mkdtemp(prefix="kt-ps-")
        cls.path = os.path.join(cls.tmp, "vmcore.elf")
        with lzma.open(source) as src, open(cls.path, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        out = run("ps", "--json", cls.path)
        assert out.returncode == 0, out.stderr
        cls.tasks = json.loads(out.stdout)
        cls.image = ElfImage(cls.path)
        cls.leaders = [t for t in cls.tasks if not t["idle"] and t["pid"] == t["tgid"]]
        cls.link = cls.find_tasks_link()

    @classmethod
    def tearDownClass(cls):
        cls.image.close()
        shutil.rmtree(cls.tmp)

    @classmethod
    def find_tasks_link(cls):
        """Offset of task_struct.tasks: a list_head whose next leads, at the
        same offset, to the following process for every pair."""
        offsets = None
        for a, b in zip(cls.leaders, cls.leaders[1:]):
            base_a, base_b = int(a["task"], 16), int(b["task"], 16)
            words = cls.image.read(base_a, 8192)
            back = cls.image.read(base_b, 8192 + 16)
            found = set()
            for off in range(0, 8192, 8):
                next_ptr, = struct.unpack_from("<Q", words, off)
                prev_ptr, = struct.unpack_from("<Q", back, off + 8)
                if next_ptr == base_b + off and prev_ptr == base_a + off:
                    found.add(off)
            offsets = found if offsets is None else offsets & found
        # Other lists run in the same order (cg_list, while every task is
        # in one cgroup); only this one starts at init_task (swapper/0).
        init_task = int(cls.tasks[0]["task"], 16)
        first = cls.image.read(int(cls.leaders[0]["task"], 16), 8192 + 16)
        offsets = {off for off in offsets
                   if struct.unpack_from("<Q", first, off + 8)[0] == init_task + off}
        assert len(offsets) == 1, f"task_struct.tasks not found: {offsets}"
        return offsets.pop()

    def ps_with_next(self, victim, next_value):
        where = int(victim["task"], 16) + self.link
        saved = self.image.read(where, 8)
        self.image.write(where, struct.pack("<Q", next_value))
        try:
            out = run("ps", "--json", self.path)
        finally:
            self.image.write(where, saved)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout), out.stderr

    def check_partial(self, got, victim_index, stderr, says):
        self.assertIn(says, stderr)
        self.assertIn("tasks: processes (init_task.tasks)", stderr)
        before = {t["pid"] for t in self.leaders[:victim_index + 1]}
        expected = {(t["pid"], t["cpu"]) for t in self.tasks
                    if t["idle"] or t["tgid"] in before}
        listed = {(t["pid"], t["cpu"]) for t in got}
        self.assertLessEqual(expected, listed, "tasks before the damage are missing")
        extra = {(t["pid"], t["cpu"]) for t in got if t["on_cpu"]}
        self.assertLessEqual(listed - expected, extra,
                             "only the tasks on a CPU may come from past the damage")
        original = {(t["pid"], t["cpu"]): t for t in self.tasks}
        for t in got:
            self.assertEqual(t, original[(t["pid"], t["cpu"])], "a task changed")

    def test_list_loops_back(self):
        victim = len(self.leaders) // 2
        target = int(self.leaders[3]["task"], 16) + self.link
        got, stderr = self.ps_with_next(self.leaders[victim], target)
        self.check_partial(got, victim, stderr, "the list loops")

    def test_list_points_to_nothing(self):
        victim = len(self.leaders) // 3
        for bad in (0, 0xffff888000000003, 0xffffc90000000000):
            with self.subTest(next=hex(bad)):
                got, stderr = self.ps_with_next(self.leaders[victim], bad)
                self.check_partial(got, victim, stderr, "list at 0x")


class PsText(unittest.TestCase):
    def test_text_matches_json(self):
        dump = os.path.join(SAMPLE, "vmcore.kdump")
        out = run("ps", dump)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["PID", "PPID", "CPU", "TASK", "ST", "%MEM", "VSZ",
                                            "RSS", "COMM"])
        tasks = ps_json(SAMPLE)
        self.assertEqual(len(lines) - 1, len(tasks))
        for line, task in zip(lines[1:], tasks):
            marker, fields = line[0], line[1:].split(None, 8)
            self.assertEqual(marker == ">", task["on_cpu"], line)
            self.assertEqual([int(fields[0]), int(fields[1]), int(fields[2]), int(fields[3], 16), fields[4]],
                             [task["pid"], task["ppid"], task["cpu"], int(task["task"], 16), task["state"]],
                             line)
            comm = f"[{task['comm']}]" if task["kernel_thread"] or task["idle"] else task["comm"]
            self.assertEqual([int(fields[6]), int(fields[7])], [task["vsz_kb"], task["rss_kb"]], line)
            self.assertEqual(fields[8], comm, line)

    def test_errors(self):
        out = run("ps")
        self.assertEqual(out.returncode, 2, f"no dump: {out.returncode} {out.stderr}")
        missing = "/nonexistent/vmcore"
        out = run("ps", missing)
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertTrue(out.stderr.startswith("ktriage: ") and missing in out.stderr, out.stderr)
        self.assertEqual(len(out.stderr.strip().splitlines()), 1, out.stderr)


if __name__ == "__main__":
    unittest.main()
