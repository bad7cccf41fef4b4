"""ktriage on dumps it was not developed against: new captures from vmlab.

Every directory under $KT_EXTRA_VMCORES (default /tmp/kt/recapture; skipped
with a message when it is missing) that holds a vmcore.kdump and the lab's
manifest.json is a dump of a known scenario, captured again: a new boot, so
a new KASLR slide, new pids and new addresses, possibly another kernel build
(manifest kernel_release) or the other capture path (capture.method).  On
each, every command runs and is checked against what the lab recorded:

  info      release, build id and CPU count of the manifest; the dump is complete
  dmesg     byte for byte the capture's vmcore-dmesg.txt (makedumpfile --dump-dmesg)
  ps        the ground truth's tasks, with their comms; hung tasks in UN
  bt        the panic task is the one the kernel's own panic/oops line names;
            bt --state UN unwinds every hung task through the same functions
            and offsets as the kernel's own hung-task report (no unwinder error)
  sys       release, panic message, CPU count, panic task
  mod       every module of the kernel's "Modules linked in:" line; the
            out-of-tree ones (O) listed as tainted
  kmem      a memory summary that adds up
  locks     each ground-truth lock: kind, owner, waiters, readers
  analyze   the manifest's expected_verdict from the dump and from its log;
            the evidence names the ground-truth tasks and locks; the dump
            signs like its own log; and like the stored capture
            ($KT_VMCORES/<scenario>, same release) of the same scenario:
            same crash, new KASLR and pids, same signature.  Across builds
            the signature is printed next to the stored one (docs/signature.md
            promises stability over rebuilds of one release only).

A dump whose task list runs through pages its dump level excluded (Debian
12's makedumpfile 1.7.2 at -d 31 drops a 6.12 kernel's slab pages, and the
task_structs in them, as user pages) cannot show the tasks past the cut:
those checks print what is not in the file instead of failing, and analyze
must call its evidence partial and say why in its notes.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KTRIAGE = os.environ.get("KTRIAGE", os.path.join(ROOT, "build/ktriage"))
EXTRA = os.environ.get("KT_EXTRA_VMCORES", "/tmp/kt/recapture")
VMCORES = os.environ.get("KT_VMCORES", os.path.join(ROOT, "..", "shared", "vmcores"))
SAMPLE = os.environ.get("KT_SAMPLE", os.path.join(ROOT, "samples/cgroup_deadlock"))

RECORD = re.compile(r"^\[ *(\d+\.\d{6})\] (.*)$")
# "CPU: 1 PID: 28 Comm: khungtaskd Tainted: ...", with "UID: 0 " since 6.10
CPU_LINE = re.compile(r"CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: (.{1,16}?) "
                      r"(?:Kdump: \S+ )?(?:Not tainted|Tainted)")
FRAME = re.compile(r"^ (\?\s)?([\w.$]+)\+(0x[0-9a-f]+)/0x[0-9a-f]+(?: \[(\w+)\])?\s*$")


def dump_dirs(top):
    found = []
    for here, _dirs, files in os.walk(top):
        if "manifest.json" in files and "vmcore.kdump" in files:
            found.append(here)
    return sorted(found)


def load_manifest(d):
    with open(os.path.join(d, "manifest.json")) as f:
        return json.load(f)


def run(*args, timeout=300):
    start = time.monotonic()
    out = subprocess.run([KTRIAGE, *args], capture_output=True, timeout=timeout)
    return out, time.monotonic() - start


def run_json(*args):
    out, seconds = run(*args, "--json")
    if out.returncode != 0:
        raise AssertionError(f"ktriage {' '.join(args)} --json exited {out.returncode}: "
                             f"{out.stderr.decode(errors='replace').strip()}")
    return json.loads(out.stdout), out.stderr.decode(errors="replace"), seconds


def log_records(path):
    """[(text)] of each record of a vmcore-dmesg.txt, continuation lines dropped."""
    with open(path, errors="replace") as f:
        return [m.group(2) for m in map(RECORD.match, f.read().splitlines()) if m]


def panic_task(lines):
    """(pid, comm) that the kernel names for the panic: the "CPU: N PID: P
    Comm: C" line panic() prints right after its message, else the oops's
    own such line before it (panic_on_oops does not dump the stack again)."""
    at = next((i for i, l in enumerate(lines) if l.startswith("Kernel panic - not syncing")), None)
    if at is None:
        return None
    after = CPU_LINE.search(lines[at + 1]) if at + 1 < len(lines) else None
    if after:
        return int(after.group(2)), after.group(3)
    for line in reversed(lines[:at]):
        m = CPU_LINE.search(line)
        if m:
            return int(m.group(2)), m.group(3)
    return None


def hung_traces(lines):
    """{pid: [(function, offset)]}: the reliable frames of each hung-task
    report's call trace, as the kernel printed them."""
    traces, pid, inside = {}, None, False
    for line in lines:
        m = re.match(r"INFO: task (.+):(\d+) blocked for more than", line)
        if m:
            pid, inside = int(m.group(2)), False
            traces[pid] = []
            continue
        if pid is None:
            continue
        if line.strip() == "<TASK>":
            inside = True
        elif line.strip() == "</TASK>":
            pid, inside = None, False
        elif inside:
            f = FRAME.match(line)
            if f and not f.group(1):
                traces[pid].append((f.group(2), int(f.group(3), 16)))
    return traces


def modules_linked_in(lines):
    """{name: flags} from the kernel's last "Modules linked in:" line."""
    for line in reversed(lines):
        if line.startswith("Modules linked in:"):
            mods = {}
            for word in line.split(":", 1)[1].split():
                m = re.match(r"([\w-]+)(?:\((\w+)\))?$", word)
                if m:
                    mods[m.group(1)] = m.group(2) or ""
            return mods
    return {}


def without_harness(src, dst):
    """The log without the lab's "vmlab:" lines (ground truth, not evidence)."""
    with open(src, errors="replace") as f, open(dst, "w") as out:
        for line in f:
            if "] vmlab: " not in line:
                out.write(line)


def stored_dirs():
    dirs = [SAMPLE] if os.path.exists(os.path.join(SAMPLE, "manifest.json")) else []
    if os.path.isdir(VMCORES):
        dirs += dump_dirs(VMCORES)
    return dirs


def still_there(truth):
    """Pids the crash leaves alive: hung, holding or waiting on a lock, crashing."""
    pids = {r["pid"] for r in truth.get("hung_task_reports", [])}
    for lock in truth.get("locks", []):
        pids |= set(lock["waiter_pids"]) | set(lock.get("reader_pids") or [])
        if lock["owner_pid"] is not None:
            pids.add(lock["owner_pid"])
    if "crash_task" in truth:
        pids.add(truth["crash_task"]["pid"])
    return pids


def truth_tasks(truth):
    pairs = {(t["pid"], t["comm"]) for t in truth.get("tasks", [])}
    pairs |= {(r["pid"], r["comm"]) for r in truth.get("hung_task_reports", [])}
    if "crash_task" in truth:
        pairs.add((truth["crash_task"]["pid"], truth["crash_task"]["comm"]))
    return pairs


@unittest.skipUnless(os.path.isdir(EXTRA) and dump_dirs(EXTRA),
                     f"no recaptured dumps under {EXTRA} (KT_EXTRA_VMCORES): capture some "
                     f"with vmlab's regen.sh --out")
class Recaptures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dirs = dump_dirs(EXTRA)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.stored = {}
        for d in stored_dirs():
            m = load_manifest(d)
            cls.stored.setdefault((m["scenario"], m["kernel_release"]), d)
        cls.signatures = {}
        cls.cut = {}
        print(f"\nrecaptures under {EXTRA}: {len(cls.dirs)}", file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def each(self):
        """(directory, manifest, dump) of each recapture; run the checks of
        one dump under self.subTest(dump=...) (see sub)."""
        return [(d, load_manifest(d), os.path.join(d, "vmcore.kdump")) for d in self.dirs]

    def sub(self, d):
        return self.subTest(dump=os.path.relpath(d, EXTRA))

    def lines(self, d):
        return log_records(os.path.join(d, "vmcore-dmesg.txt"))

    def cut_by_dump_level(self, d):
        """ktriage's own warning that a task list runs through pages the dump
        level left out (makedumpfile 1.7.2 -d 31 drops a 6.12 kernel's slab
        pages as user pages): tasks past the cut are not in the file at all."""
        if d not in self.cut:
            out, _ = run("ps", os.path.join(d, "vmcore.kdump"))
            err = out.stderr.decode(errors="replace")
            self.cut[d] = "tasks:" in err and "excluded from the dump (dump level" in err
        return self.cut[d]

    def absent(self, d, what):
        """True, and say so, when what is missing because the dump lacks its pages."""
        if not self.cut_by_dump_level(d):
            return False
        print(f"  {os.path.relpath(d, EXTRA)}: {what}: not in the dump (its task list runs "
              f"through pages the dump level excluded)", file=sys.stderr)
        return True

    def test_info(self):
        for d, m, dump in self.each():
            with self.sub(d):
                info, _, _ = run_json("info", dump)
                self.assertEqual(info["osrelease"], m["kernel_release"])
                self.assertEqual(info["build_id"], m["build_id"])
                self.assertEqual(info["cpus"], m["cpus"])
                self.assertEqual(info["format"], "kdump")
                self.assertTrue(info["complete"], f"info calls the dump incomplete: {info}")

    def test_dmesg(self):
        for d, m, dump in self.each():
            with self.sub(d):
                out, _ = run("dmesg", dump)
                self.assertEqual(out.returncode, 0, out.stderr)
                with open(os.path.join(d, "vmcore-dmesg.txt"), "rb") as f:
                    want = f.read()
                if out.stdout != want:
                    got_lines, want_lines = out.stdout.split(b"\n"), want.split(b"\n")
                    i = next((i for i, (a, b) in enumerate(zip(got_lines, want_lines)) if a != b),
                             min(len(got_lines), len(want_lines)))
                    self.fail(f"line {i + 1} differs from vmcore-dmesg.txt "
                              f"({len(got_lines)} lines, reference {len(want_lines)}):\n"
                              f"  want {want_lines[i][:160] if i < len(want_lines) else '(end)'}\n"
                              f"  got  {got_lines[i][:160] if i < len(got_lines) else '(end)'}")

    def test_ps(self):
        for d, m, dump in self.each():
            with self.sub(d):
                ps, _, _ = run_json("ps", dump)
                tasks = {t["pid"]: t for t in ps if not t["idle"]}
                truth = m["ground_truth"]
                for pid, comm in truth_tasks(truth) | {panic_task(self.lines(d))}:
                    if comm.startswith("swapper/"):
                        continue
                    if pid in still_there(truth) or (pid, comm) == panic_task(self.lines(d)):
                        if pid not in tasks and self.absent(d, f"{comm}:{pid}"):
                            continue
                        self.assertIn(pid, tasks, f"{comm}:{pid} missing from ps")
                    if pid in tasks:  # a helper that wrote and exited may be gone
                        self.assertEqual(tasks[pid]["comm"], comm, f"pid {pid}")
                for r in truth.get("hung_task_reports", []):
                    if r["pid"] in tasks:
                        self.assertEqual(tasks[r["pid"]]["state"], "UN",
                                         f"{r['comm']}:{r['pid']} was reported hung")

    def test_bt_panic_task(self):
        for d, m, dump in self.each():
            with self.sub(d):
                want = panic_task(self.lines(d))
                self.assertIsNotNone(want, "no panic line in vmcore-dmesg.txt")
                bt, err, _ = run_json("bt", dump)
                self.assertEqual(len(bt), 1, f"bt without arguments shows {len(bt)} tasks")
                got = bt[0]
                self.assertEqual((got["pid"], got["comm"]), want, "not the panic task")
                self.assertNotIn("error", got, f"unwinder: {got.get('error')}")
                functions = [f["function"] for f in got["frames"]]
                self.assertTrue(any(f in ("panic", "__crash_kexec", "crash_kexec") for f in functions),
                                f"the panic task's stack does not reach panic(): {functions}")

    def test_bt_hung_tasks(self):
        for d, m, dump in self.each():
            with self.sub(d):
                traces = hung_traces(self.lines(d))
                if not traces:
                    continue
                bt, err, _ = run_json("bt", "--state", "UN", dump)
                by_pid = {t["pid"]: t for t in bt}
                for pid, want in traces.items():
                    if pid not in by_pid and self.absent(d, f"bt of hung pid {pid}"):
                        continue
                    self.assertIn(pid, by_pid, f"hung pid {pid} not in bt --state UN")
                    t = by_pid[pid]
                    self.assertNotIn("error", t, f"pid {pid}: unwinder: {t.get('error')}")
                    got = [(f["function"], f["offset"]) for f in t["frames"] if f["reliable"]]
                    it = iter(got)
                    missing = [w for w in want if w not in it]
                    self.assertFalse(missing, f"pid {pid}: the kernel's report has {want}, "
                                              f"bt has {got}; first missing {missing[:1]}")

    def test_sys(self):
        for d, m, dump in self.each():
            with self.sub(d):
                sys_, _, _ = run_json("sys", dump)
                self.assertEqual(sys_["release"], m["kernel_release"])
                self.assertEqual(sys_["cpus"], m["cpus"])
                if sys_["panic"] != m["panic"]:  # crash's sys prefers the oops line
                    self.assertTrue(sys_["panic"].startswith("Oops: ") and
                                    sys_["panic"] in self.lines(d),
                                    f"panic {sys_['panic']!r}, the kernel's {m['panic']!r}")
                self.assertEqual((sys_["pid"], sys_["command"]), panic_task(self.lines(d)))

    def test_mod(self):
        for d, m, dump in self.each():
            with self.sub(d):
                linked = modules_linked_in(self.lines(d))
                if not linked:
                    continue
                every, _, _ = run_json("mod", "--all", dump)
                tainted, _, _ = run_json("mod", dump)
                names = {x["name"] for x in every}
                self.assertLessEqual(set(linked), names, "modules of the kernel's own list missing")
                for name, flags in linked.items():
                    if "O" in flags:
                        entry = next((x for x in tainted if x["name"] == name), None)
                        self.assertIsNotNone(entry, f"{name}({flags}) not among the tainted modules")
                        self.assertIn("O", entry["taints"], name)

    def test_kmem(self):
        for d, m, dump in self.each():
            with self.sub(d):
                kmem, _, _ = run_json("kmem", dump)
                self.assertGreater(kmem["total_mem"], 0)
                self.assertLessEqual(kmem["free"], kmem["total_mem"])
                self.assertEqual(kmem["used"], kmem["total_mem"] - kmem["free"])

    def test_locks(self):
        for d, m, dump in self.each():
            with self.sub(d):
                truth = m["ground_truth"].get("locks") or []
                if not truth:
                    continue
                got, _, _ = run_json("locks", dump)
                for want in truth:
                    if want.get("address"):
                        found = [l for l in got["locks"]
                                 if int(l["address"], 16) == int(want["address"], 16)]
                    else:  # no address (sb_writers): the lock its waiters queue on
                        found = [l for l in got["locks"]
                                 if set(l["waiter_pids"]) == set(want["waiter_pids"])]
                    if not found and self.absent(d, f"lock {want['symbol']}"):
                        continue
                    self.assertEqual(len(found), 1, f"{want['symbol']}: found {found}")
                    lock = found[0]
                    if want.get("address"):
                        self.assertEqual((lock["symbol"] or "").split(" [")[0], want["symbol"])
                    self.assertEqual(lock["kind"], want["kind"], want["symbol"])
                    self.assertEqual(lock["owner_pid"], want["owner_pid"], want["symbol"])
                    self.assertEqual(sorted(lock["waiter_pids"]), sorted(want["waiter_pids"]),
                                     want["symbol"])
                    for key in ("reader_pids", "writer_waiter_pids"):
                        if key in want:
                            self.assertEqual(sorted(lock.get(key) or []), sorted(want[key]),
                                             f"{want['symbol']}: {key}")
                    if "owner_word_after" in want:
                        self.assertEqual(int(lock["owner_word"], 16), int(want["owner_word_after"], 16))
                        self.assertTrue(lock["corrupt"], f"{want['symbol']} not reported corrupt")

    def analyses(self, d):
        """analyze of the dump and of its log without the harness's lines."""
        log = os.path.join(self.tmp.name, os.path.relpath(d, EXTRA).replace(os.sep, "_") + ".txt")
        without_harness(os.path.join(d, "vmcore-dmesg.txt"), log)
        dump, err, seconds = run_json("analyze", os.path.join(d, "vmcore.kdump"))
        text, _, _ = run_json("analyze", log)
        return dump, text, log, seconds

    def test_analyze(self):
        for d, m, dump_path in self.each():
            with self.sub(d):
                dump, text, log, seconds = self.analyses(d)
                self.assertLess(seconds, 10, "analyze of a dump is slow")
                want = m["expected_verdict"]
                self.assertEqual(dump["verdict"], want, f"dump: {dump['summary']}")
                self.assertEqual(text["verdict"], want, f"log: {text['summary']}")
                self.assertEqual(dump["signature"], text["signature"],
                                 "a dump and its own log must sign alike")
                finding = dump["findings"][0]
                truth = m["ground_truth"]
                with open(log, errors="replace") as f:
                    log_text = f.read()
                named = {(t["pid"], t["comm"]) for t in finding["evidence"]["tasks"]}
                for pid, comm in truth_tasks(truth):
                    if re.search(rf"(?<![\w/]){pid}(?!\w)", log_text) and comm in log_text:
                        self.assertIn((pid, comm), named, f"evidence names {sorted(named)}")
                if self.cut_by_dump_level(d):
                    self.assertTrue(dump["input"]["partial"], "a cut task list is partial evidence")
                    self.assertTrue(any("excluded from the dump" in n for n in dump.get("notes", [])),
                                    f"the notes do not say what is missing: {dump.get('notes')}")
                for lock in truth.get("locks", []):
                    found = [l for l in finding["evidence"]["locks"]
                             if (lock.get("address") and l.get("address") == lock["address"])
                             or l["symbol"] == lock["symbol"]]
                    if not found and self.absent(d, f"evidence for lock {lock['symbol']}"):
                        continue
                    self.assertEqual(len(found), 1, f"evidence for {lock['symbol']}: "
                                     f"{[l['symbol'] for l in finding['evidence']['locks']]}")
                    self.assertEqual(set(found[0]["waiter_pids"]), set(lock["waiter_pids"]),
                                     lock["symbol"])
                    if lock["kind"] != "percpu_rwsem":
                        self.assertEqual(found[0]["owner_pid"], lock["owner_pid"], lock["symbol"])
                self.signatures[d] = dump["signature"]

    def test_signature_matches_stored_capture(self):
        compared = 0
        for d, m, dump_path in self.each():
            with self.sub(d):
                same = self.stored.get((m["scenario"], m["kernel_release"]))
                other = [s for (scenario, release), s in self.stored.items()
                         if scenario == m["scenario"] and release != m["kernel_release"]]
                if not same and not other:
                    continue
                got = self.signatures.get(d) or run_json("analyze", dump_path)[0]["signature"]
                if same:
                    want = run_json("analyze", os.path.join(same, "vmcore.kdump"))[0]["signature"]
                    self.assertEqual(got, want, f"the stored capture {same} signs {want}")
                    compared += 1
                else:
                    for s in other:
                        want = run_json("analyze", os.path.join(s, "vmcore.kdump"))[0]["signature"]
                        print(f"  {os.path.relpath(d, EXTRA)} ({m['kernel_release']}) signs {got}; "
                              f"{load_manifest(s)['kernel_release']} ({s}) signs {want}: "
                              f"{'same' if got == want else 'different'}", file=sys.stderr)
        if not compared:
            print("  no recapture of a stored scenario on its stored build", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
