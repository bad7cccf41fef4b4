# SPDX-License-Identifier: MIT
"""ktriage struct, p, rd, kmem -s, kmem ADDRESS, files and ps -m against crash.

The references are crash 8.0.2's own output, run with the matching debug
vmlinux (linux-image-6.1.0-56-amd64-dbg) on the shared dumps and stored in
tests/refs/crash/SCENARIO/crash.out, one section per command, each after a
"@@@ COMMAND" line (tests/refs/crash/capture made them).  ktriage runs the
same command on the same dump without the vmlinux and must agree field by
field:
  struct, p  every member's value, in order (the slab annotation ktriage
             adds to pointers, "[task_struct+0x40]", is not crash's and is
             dropped; crash's gdb cuts a 4096-byte char array at 2753
             characters with "...", so a string crash cut is compared up
             to the cut);
  rd         every line; with -s a word crash names by a vmlinux-only local
             label (".LC0+1217") must be named by ktriage too, not compared;
  kmem -s    every cache: address, OBJSIZE, ALLOCATED, TOTAL, SLABS, SSIZE,
             NAME;
  kmem ADDR  the slab's line, the object's [ALLOCATED] or free line, the
             task lines (PID, COMMAND, TASK, CPU), the page line's numbers;
  files      the task line, ROOT and CWD, every open file's row;
  ps -m      for each task crash lists (crash 8.0.2 finds only the tasks on
             a CPU on these 6.1 dumps), its time in state and state.
Every --json output is validated against its schema in schema/.

With KT_DEBUG_VMLINUX (the debug vmlinux) and crash on PATH, the stored
references of one dump are also recaptured and compared with the stored
ones, so a reference cannot drift from what crash says; without them that
test is skipped.

Environment: KTRIAGE, KT_VMCORES (dumps missing there are skipped).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jsonschema_subset import Validator  # noqa: E402

KTRIAGE = os.environ.get("KTRIAGE", "build/ktriage")
VMCORES = os.environ.get("KT_VMCORES", "")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFS = os.path.join(ROOT, "tests", "refs", "crash")
SCHEMAS = os.path.join(ROOT, "schema")


def ktriage(*args, check=True):
    out = subprocess.run([KTRIAGE, *args], capture_output=True, text=True,
                         timeout=300, errors="replace")
    if check and out.returncode != 0:
        raise AssertionError(f"ktriage {' '.join(args)} exited {out.returncode}: {out.stderr}")
    return out


def sections(path):
    """[(command, output)] from a crash.out with @@@ markers."""
    result, command, lines = [], None, []
    with open(path, errors="replace") as f:
        for line in f.read().splitlines():
            if line.startswith("@@@ "):
                if command is not None:
                    result.append((command, "\n".join(lines)))
                command, lines = line[4:], []
            elif command is not None:
                lines.append(line)
    if command is not None:
        result.append((command, "\n".join(lines)))
    return result


def scenarios():
    if not os.path.isdir(REFS):
        return []
    out = []
    for name in sorted(os.listdir(REFS)):
        ref = os.path.join(REFS, name, "crash.out")
        dump = os.path.join(VMCORES, name, "vmcore.kdump") if VMCORES else ""
        if os.path.exists(ref) and dump and os.path.exists(dump):
            out.append((name, dump, sections(ref)))
    return out


SLAB_NOTE = re.compile(r" \[[A-Za-z0-9_:().\-]+\+0x[0-9a-f]+\]")


def braces(text):
    """Opening and closing braces of a line, outside quoted strings."""
    text = re.sub(r'"(\\.|[^"\\])*"', '""', text)
    text = re.sub(r"'(\\.|[^'\\])*'", "''", text)
    return text.count("{"), text.count("}")


def leaves(text):
    """[(path, value)] of gdb's pretty print: members nest by braces; a
    value whose braces balance on its line (an inline array) is a leaf."""
    out, stack = [], []
    for raw in text.splitlines():
        line = SLAB_NOTE.sub("", raw).rstrip()
        line = re.sub(r"= \$\d+ = ", "= ", line)
        stripped = line.strip()
        if not stripped:
            continue
        m = re.match(r"^([A-Za-z_][\w.()\[\], ]*?) = (.*?),?$", stripped)
        opened, closed = braces(stripped)
        if m and opened == closed:
            out.append(("/".join(stack + [m.group(1)]), m.group(2)))
            continue
        for _ in range(closed):
            if stack:
                stack.pop()
        name = m.group(1) if m else "{}"
        stack.extend([name] + ["[]"] * (opened - 1) if opened else [])
    return out


def same_value(ours, theirs):
    if theirs.endswith('"...') and ours.startswith(theirs[:-4]):
        return True  # crash's gdb cut a long string here
    return ours == theirs


class InspectAgainstCrash(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cases = scenarios()
        if not cls.cases:
            raise unittest.SkipTest(f"no stored crash references with a dump in "
                                    f"KT_VMCORES={VMCORES!r}")

    def each(self, prefix):
        found = 0
        for name, dump, secs in self.cases:
            for command, text in secs:
                if command == prefix or command.startswith(prefix + " "):
                    found += 1
                    yield name, dump, command, text
        self.assertGreater(found, 0, f"no '{prefix}' reference")

    def compare_values(self, name, command, ours, theirs):
        a, b = leaves(ours), leaves(theirs)
        self.assertGreater(len(b), 0, f"{name}: {command}: crash printed no members")
        self.assertEqual([p for p, _ in a], [p for p, _ in b],
                         f"{name}: {command}: the members differ")
        for (path, x), (_, y) in zip(a, b):
            self.assertTrue(same_value(x, y), f"{name}: {command}: {path}: ktriage {x!r}, crash {y!r}")

    def test_struct(self):
        for name, dump, command, text in self.each("struct"):
            args = command.split()[1:]
            with self.subTest(name=name, command=command):
                self.compare_values(name, command, ktriage("struct", dump, *args).stdout, text)

    def test_p(self):
        for name, dump, command, text in self.each("p"):
            with self.subTest(name=name, command=command):
                ours = ktriage("p", dump, command.split()[1]).stdout
                self.compare_values(name, command, ours, text)

    def test_rd(self):
        for name, dump, command, text in self.each("rd"):
            args = command.split()[1:]
            with self.subTest(name=name, command=command):
                ours = ktriage("rd", dump, *args).stdout.splitlines()
                theirs = text.splitlines()
                self.assertEqual(len(ours), len(theirs), f"{name}: {command}: line count")
                for x, y in zip(ours, theirs):
                    if "-s" in args:
                        xs, ys = x.split(), y.split()
                        self.assertEqual(len(xs), len(ys), f"{name}: {command}: {x!r} vs {y!r}")
                        for wx, wy in zip(xs, ys):
                            if wy.startswith("."):
                                continue  # a vmlinux-only local label: kallsyms has none
                            self.assertEqual(wx, wy, f"{name}: {command}: {x!r} vs {y!r}")
                    else:
                        self.assertEqual(x.rstrip(), y.rstrip(), f"{name}: {command}")

    def test_kmem_slabs(self):
        row = re.compile(r"^([0-9a-f]{16})\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+k)\s+(\S.*)$")
        for name, dump, command, text in self.each("kmem -s"):
            with self.subTest(name=name):
                theirs = [row.match(l).groups() for l in text.splitlines() if row.match(l)]
                ours = [row.match(l).groups() for l in ktriage("kmem", dump, "-s").stdout.splitlines()
                        if row.match(l)]
                self.assertGreater(len(theirs), 50, f"{name}: crash's kmem -s is short")
                self.assertEqual(ours, theirs, f"{name}: kmem -s rows differ")

    def test_kmem_address(self):
        keep = re.compile(r"^\s*(\[?[0-9a-f]{8,16}\]?|PID:|COMMAND:|TASK:|CPU:|STATE:)")
        for name, dump, command, text in self.each("kmem"):
            arg = command.split()[1]
            if arg.startswith("-"):
                continue
            with self.subTest(name=name, command=command):
                ours = ktriage("kmem", dump, arg).stdout
                # crash's page flags end with their names; the symbol line is "(D) name".
                norm = lambda t: [re.sub(r"(\s[0-9a-f]+) [a-z_|,]+$", r"\1", l.rstrip())
                                  for l in t.splitlines() if keep.match(l)
                                  and not re.match(r"^[0-9a-f]{16}  [0-9a-f]{16}  [0-9a-f]{16} - ", l)
                                  and not re.match(r"^ffff[0-9a-f]{12}\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+k", l)]
                theirs = norm(text)
                if not any(l.strip().startswith("PID:") for l in theirs):
                    # crash 8.0.2 knows only the tasks on a CPU of these dumps.
                    ours = "\n".join(l for l in ours.splitlines()
                                      if not re.match(r"^\s*(PID|COMMAND|TASK|CPU|STATE):", l))
                # VMAP_AREA lines are crash's alone: ktriage shows the stack's range instead.
                theirs = [l for l in theirs if not re.match(r"^[0-9a-f]{16}  [0-9a-f]{16}  [0-9a-f]{16} - ", l)]
                self.assertEqual(norm(ours), theirs, f"{name}: {command}")

    def test_files(self):
        for name, dump, command, text in self.each("files"):
            if "invalid task" in text:
                continue  # crash 8.0.2 does not know the task
            with self.subTest(name=name, command=command):
                ours = ktriage("files", dump, command.split()[1]).stdout
                self.assertEqual([l.rstrip() for l in ours.splitlines() if l.strip()],
                                 [l.rstrip() for l in text.splitlines() if l.strip()],
                                 f"{name}: {command}")

    def test_ps_m(self):
        line = re.compile(r"^\[(\d+ \d\d:\d\d:\d\d\.\d{3})\] \[(\w\w)\]\s+PID: (\d+)\s+TASK: ([0-9a-f]{16})")
        for name, dump, command, text in self.each("ps -m"):
            with self.subTest(name=name):
                ours = {m.group(4): m.groups() for m in map(line.match, ktriage("ps", dump, "-m").stdout.splitlines()) if m}
                theirs = [m.groups() for m in map(line.match, text.splitlines()) if m]
                self.assertGreater(len(theirs), 0)
                for t in theirs:
                    self.assertIn(t[3], ours, f"{name}: ps -m has no task {t[3]}")
                    self.assertEqual(ours[t[3]], t, f"{name}: ps -m for task {t[3]}")


class PsMemoryAgainstCrash(unittest.TestCase):
    """ps's VSZ equals crash's; RSS is the kernel's get_mm_rss (file, anon and
    shmem pages), so at least crash 8.0.2's, which leaves shmem out."""

    def test_vsz_rss(self):
        row = re.compile(r"^[> ]\s*(\d+)\s+-?\d+\s+\d+\s+([0-9a-f]{16})\s+\w\w\s+[\d.]+\s+(\d+)\s+(\d+)\s")
        checked = 0
        for name, dump, secs in scenarios():
            theirs = dict(secs).get("ps", "")
            ours = {m.group(2): m.groups() for m in map(row.match, ktriage("ps", dump).stdout.splitlines()) if m}
            for m in filter(None, map(row.match, theirs.splitlines())):
                pid, task, vsz, rss = m.groups()
                with self.subTest(name=name, pid=pid):
                    self.assertIn(task, ours)
                    self.assertEqual(ours[task][2], vsz, f"{name}: VSZ of {pid}")
                    self.assertGreaterEqual(int(ours[task][3]), int(rss), f"{name}: RSS of {pid}")
                    checked += int(vsz) > 0
        if not scenarios():
            self.skipTest("no references with dumps")
        self.assertGreater(checked, 0, "no process with memory among crash's tasks")


def validate(test, schema_name, value):
    with open(os.path.join(SCHEMAS, schema_name)) as f:
        errors = Validator(json.load(f)).errors(value)
    test.assertEqual(errors, [], f"{schema_name}: {errors[:5]}")


class InspectJson(unittest.TestCase):
    """Every inspection command's --json against its schema, on each dump."""

    def dumps(self):
        found = [(n, d) for n, d, _ in scenarios()]
        sample = os.environ.get("KT_SAMPLE", "samples/cgroup_deadlock")
        if os.path.exists(os.path.join(sample, "vmcore.kdump")):
            found.append(("sample", os.path.join(sample, "vmcore.kdump")))
        if not found:
            self.skipTest("no dump")
        return found

    def test_schemas(self):
        for name, dump in self.dumps():
            with self.subTest(name=name):
                tasks = json.loads(ktriage("ps", dump, "--json").stdout)
                task = next((t for t in tasks if t["on_cpu"] and not t["idle"]),
                            next(t for t in tasks if t["pid"] == 1))
                user = next((t for t in tasks if not t["kernel_thread"] and not t["idle"]), task)
                j = lambda *a: json.loads(ktriage(*a, "--json").stdout)
                validate(self, "struct.schema.json", j("struct", dump, "task_struct", task["task"]))
                validate(self, "struct.schema.json", j("struct", dump, "task_struct.pid,comm", task["task"]))
                validate(self, "struct.schema.json", j("p", dump, "runqueues:0"))
                validate(self, "rd.schema.json", j("rd", dump, "-s", task["task"], "8"))
                slabs = j("kmem", dump, "-s")
                validate(self, "kmem-slabs.schema.json", slabs)
                self.assertIn("task_struct", [c["name"] for c in slabs])
                owner = j("kmem", dump, task["task"])
                validate(self, "kmem-address.schema.json", owner)
                self.assertEqual(owner["slab"]["cache"], "task_struct")
                self.assertEqual(owner["pid"], task["pid"])
                validate(self, "files.schema.json", j("files", dump, str(user["pid"])))
                times = j("ps", dump, "-m")
                validate(self, "ps-times.schema.json", times)
                self.assertEqual(len(times), len(tasks))


class MoreCommands(unittest.TestCase):
    """dmesg -T and --level, ps -p and -g, on the bundled sample."""

    @classmethod
    def setUpClass(cls):
        cls.dump = os.path.join(os.environ.get("KT_SAMPLE", "samples/cgroup_deadlock"), "vmcore.kdump")
        if not os.path.exists(cls.dump):
            raise unittest.SkipTest("no sample dump")

    def test_dmesg_wall_clock(self):
        import datetime
        records = json.loads(ktriage("dmesg", self.dump, "-T", "--json").stdout)
        date = re.search(r"DATE: (.*)", ktriage("sys", self.dump).stdout).group(1)
        crash_time = datetime.datetime.strptime(date, "%a %b %d %H:%M:%S UTC %Y")
        last = datetime.datetime.strptime(records[-1]["time"][:19], "%Y-%m-%dT%H:%M:%S")
        # The last record (the panic) was written within the second before the crash.
        self.assertLessEqual(abs((crash_time - last).total_seconds()), 2, (date, records[-1]["time"]))
        first = ktriage("dmesg", self.dump, "-T").stdout.splitlines()[0]
        self.assertRegex(first, r"^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] ")

    def test_dmesg_level(self):
        every = json.loads(ktriage("dmesg", self.dump, "--json").stdout)
        chosen = json.loads(ktriage("dmesg", self.dump, "--level", "emerg,err", "--json").stdout)
        self.assertEqual([r["seq"] for r in chosen], [r["seq"] for r in every if r["level"] in (0, 3)])
        self.assertGreater(len(chosen), 0)
        text = ktriage("dmesg", self.dump, "--level=0").stdout.splitlines()
        self.assertEqual(len(text), len([r for r in every if r["level"] == 0]))

    def test_ps_parents_and_threads(self):
        tasks = {t["pid"]: t for t in json.loads(ktriage("ps", self.dump, "--json").stdout)}
        user = max(p for p, t in tasks.items() if not t["kernel_thread"] and not t["idle"])
        chain = json.loads(ktriage("ps", self.dump, "-p", str(user), "--json").stdout)
        self.assertEqual(chain[0]["pid"], 0)
        self.assertEqual(chain[-1]["pid"], user)
        for parent, child in zip(chain, chain[1:]):
            self.assertEqual(tasks[child["pid"]]["ppid"], parent["pid"])
        group = json.loads(ktriage("ps", self.dump, "-g", str(user), "--json").stdout)
        tgid = tasks[user]["tgid"]
        self.assertEqual(sorted(t["pid"] for t in group),
                         sorted(p for p, t in tasks.items() if t["tgid"] == tgid))
        self.assertEqual(group[0]["pid"], tgid)


class InspectErrors(unittest.TestCase):
    """A selection that matches nothing is an error naming what was asked."""

    def test_nothing_matches(self):
        sample = os.environ.get("KT_SAMPLE", "samples/cgroup_deadlock")
        dump = os.path.join(sample, "vmcore.kdump")
        if not os.path.exists(dump):
            self.skipTest("no sample dump")
        cases = [
            (["struct", dump, "no_such_type", "ffffffff81000000"], "no_such_type"),
            (["struct", dump, "task_struct.no_such_member", "ffffffff81000000"], "no_such_member"),
            (["p", dump, "no_such_symbol"], "no_such_symbol"),
            (["p", dump, "runqueues:99"], "99"),
            (["files", dump, "999999"], "999999"),
            (["kmem", dump, "nonsense_symbol"], "nonsense_symbol"),
            (["rd", dump, "0x10", "4"], "0x10"),
            (["ps", dump, "-p", "999999"], "999999"),
            (["dmesg", dump, "--level", "nonsense"], "nonsense"),
        ]
        for args, named in cases:
            with self.subTest(args=args[0:1] + args[2:]):
                out = ktriage(*args, check=False)
                self.assertNotEqual(out.returncode, 0, f"{args}: succeeded")
                self.assertIn(named, out.stderr, f"{args}: the error does not name {named}")
                self.assertEqual(out.stdout, "", f"{args}: printed a result")


class RecaptureReferences(unittest.TestCase):
    """The stored references are what crash says now (needs the vmlinux)."""

    def test_recapture(self):
        vmlinux = os.environ.get("KT_DEBUG_VMLINUX", "")
        crash = os.environ.get("CRASH") or shutil.which("crash")
        cases = scenarios()
        if not vmlinux or not os.path.exists(vmlinux) or not crash or not cases:
            self.skipTest("KT_DEBUG_VMLINUX, crash or the dumps are missing")
        name = cases[0][0]
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(REFS, os.path.join(tmp, "crash"), ignore=shutil.ignore_patterns("*.out"))
            script = os.path.join(tmp, "crash", "capture")
            subprocess.run([script, KTRIAGE, vmlinux, VMCORES, name], check=True,
                           env={**os.environ, "CRASH": crash}, capture_output=True, timeout=600)
            fresh = dict(sections(os.path.join(tmp, "crash", name, "crash.out")))
        stored = dict(sections(os.path.join(REFS, name, "crash.out")))
        self.assertEqual(sorted(fresh), sorted(stored))
        for command in stored:
            self.assertEqual(fresh[command], stored[command], f"{name}: {command}")


if __name__ == "__main__":
    unittest.main()
