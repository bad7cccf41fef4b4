"""ktriage sys against crash's `sys`, made with full debuginfo.

crash-ref/sys.txt is crash 8.0.2's `sys` on each dump.  CPUS, DATE, UPTIME,
LOAD AVERAGE, NODENAME, RELEASE, VERSION, MACHINE, MEMORY and PANIC must be
the same text.

TASKS is where crash is wrong on these dumps: crash 8.0.2 cannot walk this
kernel's task list and counts 2-4 tasks (crash-ref/ERRORS.txt and
refs-crosscheck.txt: "crash's ps/foreach miss N tasks").  ktriage's TASKS
is the true number of threads, idle tasks excluded: drgn-ref/meta.json's
nr_tasks (drgn counts them with full debuginfo).

crash's `sys` prints no panic task; its banner and `bt` do.  The panic
task's PID, COMMAND, TASK and CPU must be crash-ref/bt.txt's header, and
drgn's panic_task_* in meta.json (per_cpu(runqueues, panic_cpu).curr).
"""
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import unittest

KTRIAGE = os.environ.get("KTRIAGE", "build/ktriage")
SAMPLE = os.environ.get("KT_SAMPLE", "samples/cgroup_deadlock")
VMCORES = os.environ.get("KT_VMCORES", "../shared/vmcores")

# Fields whose text must be crash's, character for character.
SAME_AS_CRASH = ["CPUS", "DATE", "UPTIME", "LOAD AVERAGE", "NODENAME", "RELEASE",
                 "VERSION", "MACHINE", "MEMORY", "PANIC"]
BT_HEADER = re.compile(r'^PID: (\d+)\s+TASK: ([0-9a-f]+)\s+CPU: (\d+)\s+COMMAND: "(.*)"$')


def shared_dumps():
    if not os.path.isdir(VMCORES):
        return []
    return sorted(os.path.join(VMCORES, d) for d in os.listdir(VMCORES)
                  if os.path.exists(os.path.join(VMCORES, d, "vmcore.kdump")))


def run(*args):
    return subprocess.run([KTRIAGE, *args], capture_output=True, text=True, timeout=120)


def fields(text):
    """'    NODENAME: node-7' lines -> {'NODENAME': 'node-7'}."""
    out = {}
    for line in text.splitlines():
        name, sep, value = line.partition(": ")
        if sep and name.strip():
            out[name.strip()] = value.strip()
    return out


def crash_panic_task(directory):
    with open(os.path.join(directory, "crash-ref", "bt.txt")) as f:
        match = BT_HEADER.match(f.readline().rstrip("\n"))
    if not match:
        return None
    return {"pid": int(match[1]), "task": match[2], "cpu": int(match[3]), "command": match[4]}


class SysAgainstCrash(unittest.TestCase):
    def sys_of(self, directory, *options):
        dump = os.path.join(directory, "vmcore.kdump")
        text = run("sys", *options, dump)
        self.assertEqual(text.returncode, 0, f"ktriage sys {dump}: {text.stderr}")
        js = run("sys", "--json", *options, dump)
        self.assertEqual(js.returncode, 0, f"ktriage sys --json {dump}: {js.stderr}")
        return fields(text.stdout), json.loads(js.stdout)

    def check_dump(self, directory):
        with open(os.path.join(directory, "crash-ref", "sys.txt")) as f:
            crash = fields(f.read())
        with open(os.path.join(directory, "drgn-ref", "meta.json")) as f:
            drgn = json.load(f)
        ours, js = self.sys_of(directory)
        differences = [f"{name}: crash {crash.get(name)!r}, ktriage {ours.get(name)!r}"
                       for name in SAME_AS_CRASH if crash.get(name) != ours.get(name)]
        self.assertFalse(differences, f"{directory}: " + "; ".join(differences))

        # crash is wrong here (ERRORS.txt): drgn's count of threads without the idle tasks.
        self.assertEqual(int(ours["TASKS"]), drgn["nr_tasks"],
                         f"{directory}: TASKS {ours['TASKS']}, drgn nr_tasks {drgn['nr_tasks']} "
                         f"(crash's {crash.get('TASKS')} misses tasks: see crash-ref/ERRORS.txt)")

        panic = crash_panic_task(directory)
        self.assertIsNotNone(panic, f"{directory}: no task header in crash-ref/bt.txt")
        got = {"pid": int(ours["PID"]), "task": ours["TASK"], "cpu": int(ours["CPU"]),
               "command": ours["COMMAND"].strip('"')}
        self.assertEqual(got, panic, f"{directory}: panic task differs from crash's bt")
        self.assertEqual(
            (got["pid"], got["command"], "0x" + got["task"], got["cpu"]),
            (drgn["panic_task_pid"], drgn["panic_task_comm"], drgn["panic_task_addr"],
             drgn["panic_cpu"]),
            f"{directory}: panic task differs from drgn's per_cpu(runqueues, panic_cpu).curr")

        # The JSON says the same, under the lower-case names.
        for name in SAME_AS_CRASH:
            key = name.lower().replace(" ", "_")
            if name == "LOAD AVERAGE":
                value = ", ".join(f"{v:.2f}" for v in js[key])
            elif name == "CPUS":
                offline = js["cpus"] - js["cpus_online"]
                value = f"{js['cpus']}" + (f" [OFFLINE: {offline}]" if offline > 0 else "")
            elif name == "MACHINE":
                value = f"{js[key]}  ({js['mhz']} Mhz)" if js["mhz"] else f"{js[key]}  (unknown Mhz)"
            elif name == "PANIC":
                value = f'"{js[key]}"' + (" (check log for details)" if "Oops: " in js[key] else "")
            else:
                value = js[key]
            self.assertEqual(value, ours[name], f"{directory}: JSON {key} {js[key]!r} vs text {ours[name]!r}")
        self.assertEqual((js["tasks"], js["pid"], js["command"], js["task"], js["cpu"]),
                         (int(ours["TASKS"]), got["pid"], got["command"], "0x" + got["task"], got["cpu"]),
                         f"{directory}: JSON and text disagree on tasks or the panic task")

    def test_sample(self):
        self.check_dump(SAMPLE)

    def test_shared_dumps(self):
        dumps = shared_dumps()
        if not dumps:
            self.skipTest(f"no shared dumps in {VMCORES} (KT_VMCORES)")
        for directory in dumps:
            with self.subTest(dump=os.path.basename(directory)):
                self.check_dump(directory)

    def test_real_kdump_date_is_crashtime(self):
        """The `oom` dump is a real kdump: VMCOREINFO has CRASHTIME, and DATE is it."""
        directory = os.path.join(VMCORES, "oom")
        if not os.path.exists(os.path.join(directory, "vmcore.kdump")):
            self.skipTest(f"{directory}: not here (KT_VMCORES)")
        _, js = self.sys_of(directory)
        self.assertEqual(js["date_source"], "CRASHTIME")
        _, sample = self.sys_of(SAMPLE)
        self.assertEqual(sample["date_source"], "timekeeper",
                         "a QEMU capture has no CRASHTIME: the date is the timekeeper's")

    def test_damaged_dump_gives_partial_result_or_error(self):
        """A truncated or corrupted dump: exit 0 with what could be read, or 1; never a crash."""
        source = os.path.join(SAMPLE, "vmcore.kdump")
        size = os.path.getsize(source)
        rng = random.Random(11)
        with tempfile.TemporaryDirectory() as tmp:
            damaged = os.path.join(tmp, "vmcore.kdump")
            cases = [("truncated", size * f // 10) for f in (3, 6, 9)]
            cases += [("flipped", rng.randrange(size // 3, size)) for _ in range(4)]
            for kind, where in cases:
                shutil.copyfile(source, damaged)
                with open(damaged, "r+b") as f:
                    if kind == "truncated":
                        f.truncate(where)
                    else:
                        f.seek(where)
                        f.write(bytes(rng.randrange(256) for _ in range(4096)))
                for args in (["sys"], ["sys", "--json"]):
                    out = run(*args, damaged)
                    what = f"ktriage {' '.join(args)} on a copy {kind} at {where}"
                    self.assertIn(out.returncode, (0, 1), f"{what}: exit {out.returncode}: {out.stderr[-2000:]}")
                    self.assertNotIn("Sanitizer", out.stderr, f"{what}: {out.stderr[-2000:]}")
                    self.assertNotIn("runtime error", out.stderr, f"{what}: {out.stderr[-2000:]}")
                    if out.returncode == 0 and "--json" in args:
                        json.loads(out.stdout)

    def test_usage_and_errors(self):
        self.assertEqual(run("sys").returncode, 2)
        missing = run("sys", "/nonexistent/vmcore")
        self.assertEqual(missing.returncode, 1)
        self.assertTrue(missing.stderr.startswith("ktriage: /nonexistent/vmcore"), missing.stderr)
        self.assertEqual(len(missing.stderr.strip().splitlines()), 1, missing.stderr)


if __name__ == "__main__":
    unittest.main()
