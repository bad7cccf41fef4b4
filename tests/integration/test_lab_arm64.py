"""ktriage on arm64 (aarch64) dumps, without debuginfo, against drgn and the manifests.

Every capture under $KT_ARM64_VMCORES (default /tmp/kt/arm64; any depth: a directory
holding manifest.json with "arch": "arm64" and vmcore.kdump, vmcore.elf or
vmcore.elf.xz) was made by the arm64 lab (../shared/vmlab/arm64, or lab/capture
--arch arm64 for our own scenarios), on Debian's 6.1 and 6.12 arm64 kernels, as a real
kdump in the guest (makedumpfile) or a QEMU ELF.  For each one:

- info names the architecture (arm64) and the kernel release;
- dmesg equals the capture kernel's `makedumpfile --dump-dmesg` (vmcore-dmesg.txt), or,
  for a QEMU ELF, the log drgn read;
- ps lists every task drgn lists (pid, comm, CPU, state) and every task of the manifest;
- bt of every task, the panic CPU's included, has drgn's frames (function and pc);
- locks finds the manifest's locks, owners and waiters;
- analyze gives the manifest's verdict.

drgn's answers (made with the arm64 debug vmlinux by lab/refs-arm64) are stored in
tests/refs/arm64/<capture>/, each naming the dump it was made from by its sha256: a
capture made again later has no reference, and only the manifest checks run on it.
Without captures the tests skip.  A dump of an architecture ktriage does not read (here
an s390 and a RISC-V core, made by the test) is refused in one line naming it.
"""
import glob
import hashlib
import json
import lzma
import os
import re
import shutil
import struct
import subprocess
import tempfile
import unittest

KTRIAGE = os.environ.get("KTRIAGE", "build/ktriage")
ARM64 = os.environ.get("KT_ARM64_VMCORES", "/tmp/kt/arm64")
HERE = os.path.dirname(os.path.abspath(__file__))
REFS = os.path.join(HERE, "..", "refs", "arm64")
# drgn's task_state_to_char() letters for ktriage's (crash's) state names.
DRGN_LETTER = {"RU": "R", "IN": "S", "UN": "D", "ID": "I", "ST": "T", "TR": "t",
               "ZO": "Z", "DE": "X", "PA": "P", "NE": "R", "WA": "R"}
INFERRED = {"semaphore", "spinlock", "rwlock"}


def run(*args, timeout=300):
    out = subprocess.run([KTRIAGE, *args], capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise AssertionError(f"ktriage {' '.join(args)} exited {out.returncode}: {out.stderr}")
    return out.stdout


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def references():
    """{dump sha256: reference directory} of tests/refs/arm64/*/meta.json."""
    refs = {}
    for meta in glob.glob(os.path.join(REFS, "*", "meta.json")):
        with open(meta) as f:
            refs[json.load(f)["dump_sha256"]] = os.path.dirname(meta)
    return refs


class Capture:
    """One arm64 capture: its directory, manifest, dump file and drgn reference."""

    def __init__(self, directory, manifest, scratch):
        self.dir, self.manifest = directory, manifest
        self.dump = self.dump_file(scratch)
        self.ref = None

    def dump_file(self, scratch):
        for name in ("vmcore.kdump", "vmcore.elf"):
            if os.path.exists(os.path.join(self.dir, name)):
                return os.path.join(self.dir, name)
        # A QEMU ELF is kept xz-compressed; ktriage reads the raw ELF, written sparse
        # (most of a guest's memory is zero pages).
        raw = os.path.join(scratch, f"{abs(hash(self.dir))}.elf")
        with lzma.open(os.path.join(self.dir, "vmcore.elf.xz")) as fin, open(raw, "wb") as fout:
            for block in iter(lambda: fin.read(1 << 16), b""):
                if block.count(0) == len(block):
                    fout.seek(len(block), os.SEEK_CUR)
                else:
                    fout.write(block)
            fout.truncate()
        return raw

    def label(self):
        return (f"{self.manifest['scenario']} ({self.manifest.get('kernel_release')}, "
                f"{os.path.relpath(self.dir, ARM64)})")


def find_captures(scratch):
    found = []
    for root, _dirs, files in os.walk(ARM64):
        if "manifest.json" not in files or not ({"vmcore.kdump", "vmcore.elf", "vmcore.elf.xz"}
                                                & set(files)):
            continue
        with open(os.path.join(root, "manifest.json")) as f:
            manifest = json.load(f)
        if manifest.get("arch") == "arm64":
            found.append(Capture(root, manifest, scratch))
    refs = references()
    for c in found:
        c.ref = refs.get(sha256(c.dump))
    return sorted(found, key=lambda c: c.dir)


def ref_ps(ref):
    """[(pid, ppid, cpu, state letter, comm)] from ps.txt."""
    rows = []
    with open(os.path.join(ref, "ps.txt")) as f:
        for line in f:
            pid, ppid, cpu, state, comm = line.rstrip("\n").split(" ", 4)
            rows.append((int(pid), int(ppid), int(cpu), state, comm))
    return rows


FRAME = re.compile(r"^#\d+ (?P<what>.*?)\s+pc=0x(?P<pc>[0-9a-f]+)")
HEADER = re.compile(r"^(?P<pid>\d+) (?P<comm>.*) \(task 0x(?P<task>[0-9a-f]+); (?P<rest>.*)\)$")


def ref_stacks(ref):
    """{task address: {"pid", "comm", "header", "frames": [(function or None, pc)], "error"}}.

    Without DWARF an inlined function is part of the function it is inlined in, so
    drgn's inline frames are folded away; a frame drgn has no symbol for is (None, pc)."""
    stacks, current = {}, None
    with open(os.path.join(ref, "bt.txt")) as f:
        for line in f:
            line = line.rstrip("\n")
            head = HEADER.match(line)
            if head:
                current = {"pid": int(head["pid"]), "comm": head["comm"], "header": head["rest"],
                           "frames": [], "error": None}
                stacks[int(head["task"], 16)] = current
            elif line.startswith("error:") and current is not None:
                current["error"] = line
            elif (m := FRAME.match(line)) and current is not None and "[inline]" not in m["what"]:
                name = None if m["what"].startswith("?") else m["what"].split("+")[0]
                current["frames"].append((name, int(m["pc"], 16)))
    return stacks


def same_frame(ours, theirs):
    """Same pc, and the same function unless drgn named none (a module without debuginfo)."""
    return ours[1] == theirs[1] and theirs[0] in (None, ours[0])


class Arm64LabTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.mkdtemp(prefix="kt-arm64-")
        cls.captures = find_captures(cls.scratch) if os.path.isdir(ARM64) else []
        if not cls.captures:
            shutil.rmtree(cls.scratch)
            raise unittest.SkipTest(f"no arm64 captures under {ARM64} (KT_ARM64_VMCORES): make "
                                    "them with ../shared/vmlab/arm64/regen-arm64.sh or "
                                    "lab/capture --arch arm64")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def with_refs(self):
        refs = [c for c in self.captures if c.ref]
        if not refs:
            self.skipTest("no capture under %s is one tests/refs/arm64 was made from "
                          "(lab/refs-arm64 makes them)" % ARM64)
        return refs

    def test_info_names_architecture_and_kernel(self):
        for c in self.captures:
            with self.subTest(dump=c.label()):
                info = json.loads(run("info", c.dump, "--json"))
                self.assertIn(info.get("arch"), ("arm64", "aarch64"), f"info --json: {info}")
                self.assertEqual(info["osrelease"], c.manifest["kernel_release"])
                text = run("info", c.dump)
                self.assertRegex(text, r"(?m)^arch\w*:\s+(arm64|aarch64)\b")
                self.assertRegex(text, r"(?m)^release:\s+" + re.escape(c.manifest["kernel_release"]))

    def test_dmesg_equals_the_kernels_log(self):
        checked = 0
        for c in self.captures:
            theirs = os.path.join(c.dir, "vmcore-dmesg.txt")
            if not os.path.exists(theirs):
                theirs = os.path.join(c.ref, "log.txt") if c.ref else None
            if not theirs or not os.path.exists(theirs):
                continue
            with self.subTest(dump=c.label(), log=os.path.basename(theirs)):
                ours = subprocess.run([KTRIAGE, "dmesg", c.dump], capture_output=True, timeout=300)
                self.assertEqual(ours.returncode, 0, ours.stderr)
                with open(theirs, "rb") as f:
                    want = f.read().split(b"\n")
                got = ours.stdout.split(b"\n")
                first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                             min(len(got), len(want)))
                self.assertEqual(got, want, f"first difference at line {first + 1}: "
                                 f"{got[first:first + 1]} vs {want[first:first + 1]}")
                checked += 1
        self.assertGreater(checked, 0, "no capture has a log to compare with")

    def test_ps_lists_the_tasks_of_the_manifest(self):
        """The tasks the scenario's module saw blocked (it printed their task_struct) and
        the ones the hung-task detector reported; a task the scenario only started may
        have exited before the crash (null_deref's writer)."""
        for c in self.captures:
            truth = c.manifest["ground_truth"]
            with self.subTest(dump=c.label()):
                ours = {t["pid"]: t for t in json.loads(run("ps", c.dump, "--json")) if t["pid"]}
                for task in truth.get("tasks", []):
                    if "task_struct" in task:
                        self.assertIn(task["pid"], ours, f"{task['comm']} is missing")
                        self.assertEqual((ours[task["pid"]]["comm"], int(ours[task["pid"]]["task"], 16)),
                                         (task["comm"], int(task["task_struct"], 16)))
                for report in truth.get("hung_task_reports") or []:
                    self.assertIn(report["pid"], ours, f"{report['comm']} is missing")
                    self.assertEqual(ours[report["pid"]]["comm"], report["comm"])

    def test_ps_equals_drgn(self):
        for c in self.with_refs():
            with self.subTest(dump=c.label()):
                ours = sorted((t["pid"], t["ppid"], t["cpu"], DRGN_LETTER.get(t["state"], "?"),
                               t["comm"]) for t in json.loads(run("ps", c.dump, "--json")))
                self.assertEqual(ours, sorted(ref_ps(c.ref)))

    def test_bt_of_every_task_equals_drgn(self):
        for c in self.with_refs():
            with open(os.path.join(c.ref, "meta.json")) as f:
                meta = json.load(f)
            stacks = ref_stacks(c.ref)
            ours = {int(s["task"], 16): s for s in json.loads(run("bt", c.dump, "--all-tasks", "--json"))}
            with self.subTest(dump=c.label()):
                self.assertEqual(sorted(ours), sorted(stacks), "the tasks differ from drgn's")
            panic_pid = meta["running_pid_by_cpu"][str(meta["panic_cpu"])]
            panic = [t for t, s in stacks.items()
                     if s["pid"] == panic_pid and f"running on cpu {meta['panic_cpu']}" in s["header"]]
            with self.subTest(dump=c.label(), task="panic CPU"):
                self.assertEqual(len(panic), 1, "no task running on the panic CPU in the reference")
                self.assertTrue(stacks[panic[0]]["frames"], "drgn has no frames for the panic task")
            for task, theirs in sorted(stacks.items()):
                if task not in ours:
                    continue
                with self.subTest(dump=c.label(), pid=theirs["pid"], comm=theirs["comm"]):
                    self.assert_frames(ours[task]["frames"], theirs["frames"], theirs["error"])

    def assert_frames(self, mine, theirs, error):
        got = [(f["function"], int(f["address"], 16)) for f in mine]
        if error:
            # drgn 0.0.22 stops where it cannot go on (e.g. from the IRQ stack back to the
            # task's), and in an exception vector it follows the frame records only, where
            # ktriage also names the interrupted function from the link register: drgn's
            # frames are ktriage's first ones, in order, with that one extra frame at most.
            window = iter(got[:len(theirs) + 1])
            self.assertTrue(all(any(same_frame(g, w) for g in window) for w in theirs),
                            f"drgn's {theirs} are not, in order, among ktriage's first {got}")
            return
        self.assertEqual([pc for _, pc in got], [pc for _, pc in theirs],
                         f"frames differ: ktriage {got} vs drgn {theirs}")
        for (name, pc), (want, _) in zip(got, theirs):
            if want is not None:   # drgn names no frame of a module without debuginfo
                self.assertEqual(name, want, f"at {pc:#x}")

    def test_locks_of_the_manifest(self):
        checked = 0
        for c in self.captures:
            wanted = [l for l in c.manifest["ground_truth"].get("locks", []) if l.get("address")]
            if not wanted:
                continue
            got = json.loads(run("locks", c.dump, "--json"))
            by_address = {int(l["address"], 16): l for l in got["locks"]}
            for want in wanted:
                checked += 1
                with self.subTest(dump=c.label(), lock=want["symbol"]):
                    self.check_lock(c.dump, by_address, want)
        if not checked:
            self.skipTest("no arm64 capture with locks in its manifest")

    def check_lock(self, dump, by_address, want):
        address = int(want["address"], 16)
        self.assertIn(address, by_address, f"{want['symbol']} not among "
                      f"{[l['symbol'] for l in by_address.values()]}")
        lock = by_address[address]
        # A kernel without CONFIG_KALLSYMS_ALL (Debian's arm64) keeps no data symbol of a
        # module: a lock there cannot be named without debuginfo, and no name is made up.
        if self.has_symbol(dump, want["symbol"]):
            self.assertEqual((lock["symbol"] or "").split(" [")[0], want["symbol"])
        else:
            self.assertIsNone(lock["symbol"], f"{want['symbol']} is not in the dump's kallsyms")
        self.assertEqual(lock["kind"], want["kind"])
        self.assertEqual(sorted(lock["waiter_pids"]), sorted(want["waiter_pids"]), "waiters")
        if want["kind"] in INFERRED:
            likely = [h["pid"] for h in lock["holder_candidates"] if h["confidence"] == "likely"]
            self.assertEqual(likely, [want["owner_pid"]], "holder candidates")
        elif want.get("owner_pid") is not None:
            self.assertEqual(lock["owner_pid"], want["owner_pid"], "owner")
        for reader in want.get("reader_pids", []):
            self.assertIn(reader, lock.get("reader_pids", []), "readers")

    @staticmethod
    def has_symbol(dump, name):
        out = subprocess.run([KTRIAGE, "sym", dump, name], capture_output=True, text=True,
                             timeout=120)
        return out.returncode == 0 and re.search(r"\b%s\+0x0\b" % re.escape(name), out.stdout)

    def test_analyze_gives_the_manifests_verdict(self):
        for c in self.captures:
            with self.subTest(dump=c.label()):
                report = json.loads(run("analyze", c.dump, "--json"))
                self.assertEqual(report["verdict"], c.manifest["expected_verdict"],
                                 report.get("summary"))


# e_machine values of architectures ktriage does not read, and the name it must give.
OTHER_MACHINES = {22: "s390", 243: "riscv"}


def note(name, kind, desc):
    name = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(name), len(desc), kind) + pad(name) + pad(desc)


def foreign_core(path, machine):
    """A small ELF64 core of another architecture: a VMCOREINFO note and one page."""
    info = (b"OSRELEASE=6.1.0-57-foreign\nPAGESIZE=4096\nSYMBOL(init_uts_ns)=0000000001234000\n"
            b"SYMBOL(_stext)=0000000000100000\nCRASHTIME=1700000000\n")
    notes = note("VMCOREINFO", 0, info)
    notes_off = 64 + 2 * 56
    data_off = (notes_off + len(notes) + 4095) & ~4095
    ident = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    header = ident + struct.pack("<HHIQQQIHHHHHH", 4, machine, 1, 0, 64, 0, 0, 64, 56, 2, 64, 0, 0)
    phdrs = struct.pack("<IIQQQQQQ", 4, 0, notes_off, 0, 0, len(notes), len(notes), 4)
    phdrs += struct.pack("<IIQQQQQQ", 1, 7, data_off, 0x100000, 0x100000, 4096, 4096, 4096)
    image = header + phdrs + notes
    with open(path, "wb") as f:
        f.write(image + b"\0" * (data_off - len(image)) + b"\0" * 4096)


class ForeignArchitectureTest(unittest.TestCase):
    def test_refused_in_one_line_naming_it(self):
        with tempfile.TemporaryDirectory() as tmp:
            for machine, name in OTHER_MACHINES.items():
                # The file's name must not name the architecture: the message has to.
                path = os.path.join(tmp, f"machine-{machine}.core")
                foreign_core(path, machine)
                for command in ("ps", "bt", "dmesg", "analyze"):
                    with self.subTest(machine=name, command=command):
                        out = subprocess.run([KTRIAGE, command, path], capture_output=True,
                                             text=True, timeout=60)
                        self.assertNotEqual(out.returncode, 0)
                        self.assertEqual(out.stdout, "")
                        lines = out.stderr.splitlines()
                        self.assertEqual(len(lines), 1, out.stderr)
                        self.assertIn(name, lines[0].lower(), "the architecture is not named")


if __name__ == "__main__":
    unittest.main()
