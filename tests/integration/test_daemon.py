# SPDX-License-Identifier: MIT
"""ktriaged end to end: the real daemon, real inotify, real SQLite, real
forked and sandboxed workers, on copies of real dumps.

Each test runs the daemon binary with --watch and --state-dir in a fresh
temporary directory, speaks sd_notify with it (NOTIFY_SOCKET: READY=1 and
STATUS= are checked, as systemd would see them), drops dumps the way kdump
writes them, and reads the outcome from the daemon's SQLite store, its
report files, its Prometheus textfile, its alert hook and, where a
systemd-journald can be started, the journal.

Environment: KTRIAGE (build/.../ktriage; ktriaged is beside it), KT_SAMPLE
(the bundled cgroup_deadlock sample), KT_VMCORES (the shared corpus: its
dumps are used too when present).
"""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import (KTRIAGE, KTRIAGED, SAMPLE, TIMEOUT, Daemon,  # noqa: E402
                            DaemonTestCase, sample_dump, wait_for)

VMCORES = os.environ.get("KT_VMCORES", "")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = os.path.join(ROOT, "schema", "report.schema.json")
CATALOG = os.path.join(ROOT, "systemd", "ktriage.catalog")
MESSAGE_ID = "bceb464aba9b42369946f2d1b7176d75"
MESSAGE_ID_FAILED = "0507386154fa4a3faced3fb23fe455e0"


def expected_verdict(scenario_dir):
    with open(os.path.join(scenario_dir, "manifest.json")) as f:
        return json.load(f)["expected_verdict"]


def _resolve(root, ref):
    if not ref.startswith("#/"):
        raise AssertionError("schema: only local $ref supported, got %s" % ref)
    node = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _type_ok(value, name):
    return {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "null": value is None,
    }[name]


def schema_errors(value, schema, root=None, path="$"):
    """Every violation as 'path: what', for the keywords reports use."""
    root = schema if root is None else root
    if schema is True or schema == {}:
        return []
    if schema is False:
        return ["%s: not allowed" % path]
    errors = []
    if "$ref" in schema:
        errors += schema_errors(value, _resolve(root, schema["$ref"]), root, path)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_type_ok(value, t) for t in types):
            return errors + ["%s: %r is not of type %s" % (path, value, types)]
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: %r not in %r" % (path, value, schema["enum"]))
    if "const" in schema and value != schema["const"]:
        errors.append("%s: %r is not %r" % (path, value, schema["const"]))
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append("%s: %r does not match %s" % (path, value, schema["pattern"]))
        if len(value) < schema.get("minLength", 0):
            errors.append("%s: shorter than %d" % (path, schema["minLength"]))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append("%s: %r < %r" % (path, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            errors.append("%s: %r > %r" % (path, value, schema["maximum"]))
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append("%s: missing required key %r" % (path, key))
        props = schema.get("properties", {})
        for key, sub in value.items():
            if key in props:
                errors += schema_errors(sub, props[key], root, "%s.%s" % (path, key))
            elif "additionalProperties" in schema:
                errors += schema_errors(sub, schema["additionalProperties"], root,
                                        "%s.%s" % (path, key))
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append("%s: fewer than %d items" % (path, schema["minItems"]))
        if "items" in schema and isinstance(schema["items"], dict):
            for i, item in enumerate(value):
                errors += schema_errors(item, schema["items"], root, "%s[%d]" % (path, i))
    for sub in schema.get("allOf", []):
        errors += schema_errors(value, sub, root, path)
    if "anyOf" in schema and all(schema_errors(value, s, root, path) for s in schema["anyOf"]):
        errors.append("%s: matches none of anyOf" % path)
    if "oneOf" in schema:
        matching = sum(1 for s in schema["oneOf"] if not schema_errors(value, s, root, path))
        if matching != 1:
            errors.append("%s: matches %d of oneOf, not 1" % (path, matching))
    return errors


def validate_report(test, report, where):
    if not os.path.exists(SCHEMA):
        test.skipTest("schema/report.schema.json does not exist yet (issue 13)")
    with open(SCHEMA) as f:
        schema = json.load(f)
    try:
        import jsonschema  # noqa: the full validator, when installed
        validator = jsonschema.validators.validator_for(schema)(schema)
        errors = ["%s: %s" % ("/".join(map(str, e.absolute_path)) or "$", e.message)
                  for e in validator.iter_errors(report)]
    except ImportError:
        errors = schema_errors(report, schema)
    test.assertEqual(errors, [], "%s does not validate against %s" % (where, SCHEMA))


def process_gone(pid):
    """Exited (reaped, or a zombie whose parent is gone too)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def write_slowly(src, dst, chunks=8, pause=0.15):
    """Copy src to dst in pieces with pauses, as makedumpfile writes."""
    size = os.path.getsize(src)
    step = size // chunks + 1
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while True:
            block = fin.read(step)
            if not block:
                break
            fout.write(block)
            fout.flush()
            time.sleep(pause)


@unittest.skipUnless(os.path.exists(KTRIAGED), "ktriaged is not built (%s)" % KTRIAGED)
class DaemonTest(DaemonTestCase):
    def test_incomplete_dump_renamed_is_triaged_exactly_once(self):
        d = self.daemon().start()
        host = os.path.join(d.crash, "127.0.0.1-2024-05-01-10:11:12")
        os.mkdir(host)
        write_slowly(sample_dump(), os.path.join(host, "vmcore-incomplete"))
        time.sleep(1)  # several settle periods: the -incomplete name must not be read
        self.assertEqual(d.dumps(), [], "a dump was recorded while still -incomplete")
        os.rename(os.path.join(host, "vmcore-incomplete"), os.path.join(host, "vmcore"))
        d.wait_finished(1)
        time.sleep(1.5)  # more events or timers must not add anything
        dumps, analyses = d.dumps(), d.analyses()
        self.assertEqual(len(dumps), 1, "dumps recorded: %r" % dumps)
        self.assertEqual(dumps[0][1], os.path.join(host, "vmcore"))
        self.assertEqual(len(analyses), 1, "analyses recorded: %r" % analyses)
        aid, dump_id, outcome, reason, verdict, signature, report_path = analyses[0][:7]
        self.assertEqual(outcome, "triaged", reason)
        self.assertEqual(verdict, expected_verdict(SAMPLE))
        self.assertRegex(signature, r"^kt2:[0-9a-f]{16}$")
        self.assertNotIn("vmcore-incomplete: analysing", d.log_text())

        # The report file: 0640, the analyze --json document, valid.
        self.assertEqual(report_path, os.path.join(d.state, "reports", "%d.json" % dump_id))
        self.assertEqual(stat.S_IMODE(os.stat(report_path).st_mode), 0o640)
        with open(report_path) as f:
            report = json.load(f)
        self.assertEqual((report["verdict"], report["signature"]), (verdict, signature))
        validate_report(self, report, report_path)

        # The hook got the same report on stdin.
        hook_file = os.path.join(d.hooks, "%d-triaged.json" % dump_id)
        wait_for("the alert hook's output " + hook_file, lambda: os.path.exists(hook_file)
                 and os.path.getsize(hook_file) > 0)
        with open(hook_file) as f:
            self.assertEqual(json.load(f)["signature"], signature)

        # Prometheus counts it.
        with open(d.prom) as f:
            prom = f.read()
        self.assertRegex(prom, r'(?m)^ktriage_crashes_total\{host="[^"]+",kernel_release="[^"]+",'
                         r'verdict="%s",signature="%s"\} 1$' % (verdict, signature))

        # list --json and show --json.
        listed = json.loads(d.ktriage("list", "--json"))
        self.assertEqual(len(listed), 1)
        for key in ("id", "dump", "verdict", "signature", "time"):
            self.assertIn(key, listed[0])
        self.assertEqual((listed[0]["id"], listed[0]["dump"], listed[0]["verdict"]),
                         (dump_id, os.path.join(host, "vmcore"), verdict))
        shown = json.loads(d.ktriage("show", os.path.join(host, "vmcore"), "--json"))
        self.assertEqual(shown["analysis"]["signature"], signature)
        self.assertTrue(shown["findings"] and shown["findings"][0]["verdict"] == verdict)
        self.assertEqual(json.loads(d.ktriage("list", "--json", "--verdict", "oom")), [])

        # A restart triages nothing again.
        self.stop(d)
        d.start()
        time.sleep(1.5)
        self.assertEqual(len(d.analyses()), 1, "a restart re-triaged: %r" % d.analyses())
        self.stop(d)

    def test_kill_9_during_analysis_then_restart(self):
        """The worker is stopped mid-analysis, the daemon killed with SIGKILL:
        after the restart the dump is analysed once more, recorded once."""
        d = self.daemon()
        d.start()
        caught = None
        for attempt in range(8):
            src = os.path.join(self.root, "staging-%d" % attempt)
            shutil.copyfile(sample_dump(), src)
            dst = os.path.join(d.crash, "dump-%d.vmcore" % attempt)
            os.rename(src, dst)
            worker = self.catch_analysis_worker(d.proc.pid)
            if worker:
                caught = (dst, worker)
                break
        if not caught:
            self.fail("never caught an analysis worker running in 8 tries")
        dst, worker = caught
        rows = [r for r in d.dumps() if r[1] == dst]
        self.assertEqual([(r[2], r[3]) for r in rows], [("running", 1)],
                         "the dump must be claimed before its worker starts")
        d.kill9()
        # PR_SET_PDEATHSIG: the stopped worker dies with the daemon.
        wait_for("worker %d to die with the daemon" % worker,
                 lambda: process_gone(worker), timeout=10)
        before = len(d.analyses())
        d.start()
        wait_for("the interrupted dump to be finished",
                 lambda: [r for r in d.dumps() if r[1] == dst and r[2] == "done"])
        time.sleep(1)
        rows = [r for r in d.dumps() if r[1] == dst]
        self.assertEqual(len(rows), 1, "dump recorded %d times" % len(rows))
        self.assertEqual(rows[0][3], 2, "attempts: the retry after the restart is the second")
        mine = [a for a in d.analyses() if a[1] == rows[0][0]]
        self.assertEqual(len(mine), 1, "analyses of the interrupted dump: %r" % mine)
        self.assertEqual(mine[0][2], "triaged")
        self.assertEqual(len(d.analyses()), before + 1)
        self.assertEqual(len(d.dumps()), len({r[1] for r in d.dumps()}), "a duplicate row")
        self.stop(d)

    def test_worker_runs_unprivileged_in_seccomp(self):
        """An analysis worker, caught running: not root, no capabilities, a
        seccomp filter, no new privileges, and only the descriptors it was
        given (stdin/stdout /dev/null, stderr a pipe, its output, the dump,
        the build cache's two unnamed outputs), and what it opened before its
        sandbox closed: the kept BTF, the build cache's entries and the log
        kdump saved beside the dump."""
        d = self.daemon()
        d.start()
        dst = os.path.join(d.crash, "dump.vmcore")
        src = os.path.join(self.root, "staging")
        companion = os.path.join(d.crash, "vmcore-dmesg.txt")
        shutil.copyfile(os.path.join(SAMPLE, "vmcore-dmesg.txt"), companion)
        shutil.copyfile(sample_dump(), src)
        os.rename(src, dst)
        worker = self.catch_analysis_worker(d.proc.pid)
        if not worker:
            self.fail("never caught the analysis worker running")
        try:
            # Caught as it forked: let it go until it has entered its sandbox.
            os.kill(worker, signal.SIGCONT)
            status = wait_for("worker %d in its sandbox" % worker,
                              lambda: self.sandboxed_status(worker), timeout=20, interval=0.001)
            os.kill(worker, signal.SIGSTOP)
            fds = {int(fd): os.readlink("/proc/%d/fd/%s" % (worker, fd))
                   for fd in os.listdir("/proc/%d/fd" % worker)}
        finally:
            os.kill(worker, signal.SIGCONT)
        uids = status["Uid"].split()
        self.assertTrue(all(u != "0" for u in uids), "worker uids: %r" % uids)
        if os.geteuid() == 0:
            import pwd
            nobody = pwd.getpwnam("nobody").pw_uid
            self.assertEqual(set(uids), {str(nobody)}, "a root daemon's worker is nobody")
        self.assertTrue(all(g != "0" for g in status["Gid"].split()), status["Gid"])
        self.assertEqual(status["Groups"].strip(), "", "supplementary groups")
        for cap in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
            self.assertEqual(int(status[cap].strip(), 16), 0, "%s: %s" % (cap, status[cap]))
        self.assertEqual(status["Seccomp"].strip(), "2")
        self.assertEqual(status["NoNewPrivs"].strip(), "1")
        self.assertEqual(sorted(fds)[:5], [0, 1, 2, 3, 4], "worker descriptors: %r" % fds)
        # Any other is the reader's duplicate of the dump it was given, a kept
        # BTF file, a build cache entry or the companion log, all opened before
        # the sandbox: once sandboxed it opens nothing.
        btf = os.path.join(d.state, "btf") + os.sep
        cache = os.path.join(d.state, "build-cache") + os.sep
        others = {fds[fd] for fd in fds if fd > 4} - {dst, companion}
        self.assertEqual({f for f in others if not f.startswith((btf, cache))}, set(),
                         "worker descriptors: %r" % fds)
        self.assertTrue(fds.get(5, "").startswith(cache) and fds.get(6, "").startswith(cache),
                        "the build cache's outputs, made by the daemon: %r" % fds)
        self.assertEqual(fds[0], "/dev/null")
        self.assertTrue(fds[2].startswith("pipe:"), fds[2])
        self.assertEqual(fds[4], dst, "the worker reads the dump the daemon opened")
        self.assertIn(companion, fds.values(), "the log beside the dump, opened before the sandbox")
        d.wait_finished(1)
        self.assertEqual([a[2] for a in d.analyses()], ["triaged"])
        self.stop(d)

    @staticmethod
    def sandboxed_status(pid):
        with open("/proc/%d/status" % pid) as f:
            status = dict(line.split(":", 1) for line in f.read().splitlines())
        return status if status["Seccomp"].strip() == "2" else None

    def catch_analysis_worker(self, daemon_pid, timeout=15):
        """SIGSTOP the daemon's analysis worker (fd 3 is its report memfd)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open("/proc/%d/task/%d/children" % (daemon_pid, daemon_pid)) as f:
                    children = f.read()
            except OSError:
                return None
            for pid in map(int, children.split()):
                try:
                    if "ktriage-report" in os.readlink("/proc/%d/fd/3" % pid):
                        os.kill(pid, signal.SIGSTOP)
                        return pid
                except OSError:
                    continue
            if children.strip() == "" and self.all_done(daemon_pid):
                return None
            time.sleep(0.0005)
        return None

    def all_done(self, daemon_pid):
        d = self.daemons[-1]
        rows = d.dumps()
        return rows and all(r[2] in ("done", "failed") for r in rows) and \
            len(rows) == len(os.listdir(d.crash))

    def test_corrupt_dump_is_recorded_failed_and_the_daemon_goes_on(self):
        d = self.daemon().start()
        bad_dir = os.path.join(d.crash, "127.0.0.1-2024-05-02-00:00:00")
        os.mkdir(bad_dir)
        with open(os.path.join(bad_dir, "vmcore"), "wb") as f:
            f.write(os.urandom(200000))
        # A dump whose header is damaged in place: KDUMP magic, garbage after.
        with open(sample_dump(), "rb") as f:
            head = f.read(8)
        with open(os.path.join(d.crash, "damaged.vmcore"), "wb") as f:
            f.write(head + os.urandom(100000))
        d.wait_finished(2)
        good = os.path.join(d.crash, "good.vmcore")
        shutil.copyfile(sample_dump(), good + ".part")
        os.rename(good + ".part", good)
        d.wait_finished(3)
        self.assertIsNone(d.proc.poll(), "the daemon died")
        by_path = {a[1]: a for a in d.analyses()}
        paths = {r[0]: r[1] for r in d.dumps()}
        outcomes = {paths[dump_id]: (a[2], a[3], a[4]) for dump_id, a in by_path.items()}
        for path in (os.path.join(bad_dir, "vmcore"), os.path.join(d.crash, "damaged.vmcore")):
            outcome, reason, verdict = outcomes[path]
            self.assertEqual(outcome, "failed", "%s: %r" % (path, outcomes[path]))
            self.assertTrue(reason and path in reason, "the reason names the file: %r" % reason)
        self.assertIn("not a vmcore", outcomes[os.path.join(bad_dir, "vmcore")][1])
        self.assertEqual(outcomes[good][0], "triaged")
        shown = d.ktriage("show", os.path.join(bad_dir, "vmcore"))
        self.assertRegex(shown, r"State: failed")
        self.assertRegex(shown, r"Reason: .*not a vmcore")
        hook_files = sorted(os.listdir(d.hooks))
        self.assertIn("%d-failed.json" % [k for k, v in paths.items()
                                           if v == os.path.join(bad_dir, "vmcore")][0],
                      hook_files)
        with open(d.prom) as f:
            self.assertIn('ktriage_triage_failures_total{outcome="failed"} 2', f.read())
        self.stop(d)

    def test_worker_timeout_and_crash_are_recorded(self):
        """A worker past its wall-time limit is killed and recorded as timed
        out; one that dies of a signal is recorded as crashed; the daemon
        goes on with the next dump."""
        d = self.daemon(timeout=0.001).start()
        shutil.copyfile(sample_dump(), os.path.join(self.root, "slow"))
        os.rename(os.path.join(self.root, "slow"), os.path.join(d.crash, "slow.vmcore"))
        d.wait_finished(1)
        outcome, reason = d.analyses()[0][2:4]
        self.assertEqual(outcome, "timeout", reason)
        self.assertIn("wall-time limit", reason)
        self.stop(d)

        d = self.daemon().start()
        shutil.copyfile(sample_dump(), os.path.join(self.root, "crashing"))
        os.rename(os.path.join(self.root, "crashing"), os.path.join(d.crash, "crashing.vmcore"))
        worker = self.catch_analysis_worker(d.proc.pid)
        if not worker:
            self.skipTest("the analysis finished before its worker could be caught")
        os.kill(worker, signal.SIGABRT)  # not SIGSEGV: AddressSanitizer would catch it
        os.kill(worker, signal.SIGCONT)
        d.wait_finished(2)
        crashed = [a for a in d.analyses() if a[2] == "crashed"]
        self.assertEqual(len(crashed), 1, d.analyses())
        self.assertIn("signal %d (ABRT)" % signal.SIGABRT, crashed[0][3])
        good = os.path.join(d.crash, "after.vmcore")
        shutil.copyfile(sample_dump(), os.path.join(self.root, "after"))
        os.rename(os.path.join(self.root, "after"), good)
        d.wait_finished(3)
        self.assertEqual([a[2] for a in d.analyses()][-1], "triaged")
        self.stop(d)

    def test_sighup_reloads_and_a_bad_file_keeps_the_old_configuration(self):
        d = self.daemon()
        with open(d.conf, "a") as f:
            f.write("reports = no\n")
        d.start()
        shutil.copyfile(sample_dump(), os.path.join(self.root, "one"))
        os.rename(os.path.join(self.root, "one"), os.path.join(d.crash, "one.vmcore"))
        d.wait_finished(1)
        self.assertIsNone(d.analyses()[0][6], "reports = no still wrote a report")
        with open(d.conf) as f:
            text = f.read()
        with open(d.conf, "w") as f:
            f.write(text.replace("reports = no", "reports = yes"))
        d.proc.send_signal(signal.SIGHUP)
        wait_for("the reload", lambda: "Configuration reloaded" in d.log_text())
        shutil.copyfile(sample_dump(), os.path.join(self.root, "two"))
        os.rename(os.path.join(self.root, "two"), os.path.join(d.crash, "two.vmcore"))
        d.wait_finished(2)
        self.assertTrue(d.analyses()[1][6] and os.path.exists(d.analyses()[1][6]))
        with open(d.conf, "a") as f:
            f.write("[analysis]\nworkers = many\n")
        d.proc.send_signal(signal.SIGHUP)
        wait_for("the refusal", lambda: "Keeping the old configuration" in d.log_text())
        self.assertIn("workers: bad value 'many'", d.log_text())
        self.assertIsNone(d.proc.poll(), "a bad configuration stopped the daemon")
        check = subprocess.run([KTRIAGED, "--config", d.conf, "--check-config"],
                               capture_output=True, text=True)
        self.assertEqual(check.returncode, 1)
        self.assertIn("ktriaged.conf:", check.stderr)
        self.stop(d)

    def test_pstore_log_and_notify_and_retriage(self):
        pstore = os.path.join(self.root, "pstore")
        os.makedirs(os.path.join(pstore, "1714557072"))
        d = self.daemon(pstore=pstore, settle=5)  # long settle: notify must not wait
        d.start()
        with open(os.path.join(SAMPLE, "vmcore-dmesg.txt"), "rb") as fin, \
                open(os.path.join(pstore, "1714557072", "dmesg.txt"), "wb") as fout:
            fout.write(fin.read())
        # Debian kdump-tools: YYYYMMDDHHMM/dump.YYYYMMDDHHMM, then notify.
        stamp = os.path.join(d.crash, "202405011011")
        os.mkdir(stamp)
        shutil.copyfile(sample_dump(), os.path.join(stamp, "dump-incomplete"))
        os.rename(os.path.join(stamp, "dump-incomplete"),
                  os.path.join(stamp, "dump.202405011011"))
        shutil.copyfile(os.path.join(SAMPLE, "vmcore-dmesg.txt"),
                        os.path.join(stamp, "dmesg.202405011011"))
        started = time.monotonic()
        d.ktriage("notify", stamp)
        wait_for("the notified dump", lambda: any(r[2] == "done" for r in d.dumps()
                                                  if r[1].startswith(stamp)), timeout=4.5)
        self.assertLess(time.monotonic() - started, 5, "notify waited for the settle time")
        d.wait_finished(2)
        time.sleep(0.5)
        rows = {r[1]: r for r in d.dumps()}
        self.assertEqual(sorted(rows), sorted([os.path.join(pstore, "1714557072", "dmesg.txt"),
                                               os.path.join(stamp, "dump.202405011011")]),
                         "the kdump-tools dmesg.* beside its dump is not triaged alone")
        kinds = dict(d.query("SELECT path, kind || '/' || layout FROM dumps"))
        self.assertEqual(kinds[os.path.join(pstore, "1714557072", "dmesg.txt")], "log/pstore")
        self.assertEqual(kinds[os.path.join(stamp, "dump.202405011011")], "dump/kdump-tools")
        verdicts = {r[1]: r[4] for r in d.analyses()}
        self.assertEqual(set(verdicts.values()), {expected_verdict(SAMPLE)},
                         "log-only and dump verdicts: %r" % verdicts)

        # retriage: analysed again, one dump row, two analyses, latest shown.
        dump_id = rows[os.path.join(stamp, "dump.202405011011")][0]
        out = d.ktriage("retriage", str(dump_id))
        self.assertIn("queued for triage again", out)
        wait_for("the second analysis", lambda: len([a for a in d.analyses()
                                                     if a[1] == dump_id]) == 2)
        self.assertEqual(len(d.dumps()), 2)
        self.stop(d)

    def test_twenty_dumps_at_once_with_the_configured_workers(self):
        workers = 3
        d = self.daemon(workers=workers).start()
        sources = [sample_dump()]
        if VMCORES and os.path.isdir(VMCORES):
            sources = sorted(os.path.join(VMCORES, s, "vmcore.kdump") for s in os.listdir(VMCORES)
                             if os.path.exists(os.path.join(VMCORES, s, "vmcore.kdump")))
        staging = os.path.join(self.root, "staging")
        os.mkdir(staging)
        expected = {}
        for i in range(20):
            src = sources[i % len(sources)]
            name = "%02d-%s" % (i, os.path.basename(os.path.dirname(src)))
            os.mkdir(os.path.join(staging, name))
            shutil.copyfile(src, os.path.join(staging, name, "vmcore"))
            expected[os.path.join(d.crash, name, "vmcore")] = \
                expected_verdict(os.path.dirname(src))
        for name in os.listdir(staging):  # dropped at once: 20 renames
            os.rename(os.path.join(staging, name), os.path.join(d.crash, name))
        d.wait_finished(20, timeout=TIMEOUT * 2)
        time.sleep(1)
        d.poll_notify()
        dumps = d.dumps()
        self.assertEqual(sorted(r[1] for r in dumps), sorted(expected))
        analyses = d.analyses()
        self.assertEqual(len(analyses), 20)
        paths = {r[0]: r[1] for r in dumps}
        wrong = {paths[a[1]]: (a[2], a[4]) for a in analyses
                 if (a[2], a[4]) != ("triaged", expected[paths[a[1]]])}
        self.assertEqual(wrong, {}, "dumps not triaged with their manifest's verdict")
        # Never more than the configured workers at once (analyses by their
        # own timestamps, every worker by the STATUS the daemon sends systemd).
        events = sorted([(a[7], 1) for a in analyses] + [(a[8], -1) for a in analyses],
                        key=lambda e: (e[0], e[1]))
        running = peak = 0
        for _, step in events:
            running += step
            peak = max(peak, running)
        self.assertLessEqual(peak, workers, "analyses overlapping: %d" % peak)
        busy = [int(m.group(1)) for m in (re.search(r"(\d+) running", s) for s in d.statuses) if m]
        self.assertTrue(busy, "no STATUS= with the running count: %r" % d.statuses[-3:])
        self.assertEqual(max(busy), workers,
                         "STATUS= never showed %d workers busy: max %d" % (workers, max(busy)))
        with open(d.prom) as f:
            prom = f.read()
        total = sum(int(v) for v in re.findall(r"^ktriage_crashes_total\{.*\} (\d+)$", prom, re.M))
        self.assertEqual(total, 20, prom)
        self.stop(d)

    def run_journal_script(self, script):
        """Run script with a journald: the machine's, or one of our own."""
        if os.path.exists("/run/systemd/journal/socket"):
            how = ["sh", "-c", script, "sh", "shared"]
        elif os.geteuid() == 0 and shutil.which("unshare") and \
                os.path.exists("/lib/systemd/systemd-journald"):
            how = ["unshare", "--mount", "--propagation", "private",
                   "sh", "-c", script, "sh", "private"]
        else:
            self.skipTest("no journald runs here and none can be started "
                          "(needs root, unshare and /lib/systemd/systemd-journald)")
        out = subprocess.run(how, capture_output=True, text=True, timeout=TIMEOUT * 2)
        if out.returncode == 77:
            self.skipTest("journald could not be started here: " + out.stderr.strip()[-500:])
        self.assertEqual(out.returncode, 0, "journal script failed:\n%s\n%s"
                         % (out.stdout[-3000:], out.stderr[-3000:]))
        return out

    def test_forged_name_gives_one_journal_entry(self):
        """A crash directory named with a newline, "<0>" and terminal escapes:
        one journal entry for the dump, at the verdict's priority, the name
        escaped and its raw bytes in KTRIAGE_DUMP_BASE64; the daemon's own
        log lines (its stderr, a journal stream as under systemd) never
        become an emergency entry."""
        import base64
        d = Daemon(self.root)
        forged = "x\n<0>ktriaged: FORGED emergency\x1b]0;owned\x07\x1b[2J"
        dump_dir = os.path.join(d.crash, forged)
        escaped = os.path.join(d.crash, "x\\x0a<0>ktriaged: FORGED emergency"
                               "\\x1b]0;owned\\x07\\x1b[2J") + "/vmcore"
        out = self.run_journal_script(self.journal_script(
            dump_dir="'%s'" % dump_dir, query="MESSAGE_ID=" + MESSAGE_ID,
            wrap="systemd-cat -t ktriaged-test --level-prefix=true"))
        entries = [json.loads(line) for line in out.stdout.splitlines()
                   if line.startswith("{")]
        mine = [e for e in entries if e.get("KTRIAGE_DUMP", "").startswith(self.root)]
        self.assertEqual(len(mine), 1, "journal entries for this test: %r" % entries)
        e = mine[0]
        self.assertEqual(e["KTRIAGE_DUMP"], escaped)
        self.assertEqual(base64.b64decode(e["KTRIAGE_DUMP_BASE64"]).decode(),
                         os.path.join(dump_dir, "vmcore"))
        self.assertEqual(e["PRIORITY"], "2", "the verdict's priority, not one from the name")
        self.assertNotIn("\n", e["MESSAGE"])
        self.assertNotIn("\x1b", e["MESSAGE"])
        stream = [json.loads(line) for line in out.stdout.splitlines()
                  if line.startswith("{") and '"ktriaged-test"' in line]
        self.assertTrue(stream, "the daemon's stderr did not reach the journal")
        self.assertEqual([s["MESSAGE"] for s in stream if s["PRIORITY"] in ("0", "1")], [],
                         "an emergency or alert entry from the daemon's log")
        self.assertFalse([s for s in stream if "FORGED" in s["MESSAGE"]
                          and not s["MESSAGE"].startswith("ktriaged: ")],
                         "a log line that starts with the forged text")

    def test_hostile_names_reach_no_terminal_raw_and_json_stays_valid(self):
        """A crash directory whose name holds terminal escapes and bytes that
        are not UTF-8: `list`, `show` print it escaped, `list --json`, `show
        --json`, the report file and the hook's input are valid UTF-8 JSON,
        and the raw name comes back from dump_base64."""
        import base64
        d = self.daemon()
        d.start()
        raw_dir = os.path.join(os.fsencode(d.crash), b"evil\x1b]0;owned\x07\xff\xfe\x1b[2J")
        os.makedirs(raw_dir)
        staging = os.path.join(self.root, "staging")
        shutil.copyfile(sample_dump(), staging)
        os.rename(staging, os.path.join(raw_dir, b"vmcore"))
        d.wait_finished(1)
        raw_path = os.path.join(raw_dir, b"vmcore")

        def run(*args):
            out = subprocess.run([KTRIAGE] + list(args) + ["--state-dir", d.state],
                                 capture_output=True, timeout=TIMEOUT)
            self.assertEqual(out.returncode, 0, out.stderr)
            return out.stdout
        for args in (["list"], ["show", "1"]):
            text = run(*args)
            self.assertNotIn(b"\x1b", text, "ktriage %s printed an escape" % args[0])
            self.assertNotIn(b"\x07", text)
            text.decode("utf-8")  # strict: raises on bytes that are not UTF-8
            self.assertIn(b"evil\\x1b]0;owned\\x07\\xff\\xfe\\x1b[2J/vmcore", text)
        listed = json.loads(run("list", "--json").decode("utf-8"))
        entry = listed[0] if isinstance(listed, list) else listed["dumps"][0]
        self.assertEqual(base64.b64decode(entry["dump_base64"]), raw_path)
        shown = json.loads(run("show", "1", "--json").decode("utf-8"))
        self.assertEqual(base64.b64decode(shown["dump_base64"]), raw_path)
        report_path = d.analyses()[0][6]
        with open(report_path, "rb") as f:
            report = json.loads(f.read().decode("utf-8"))
        self.assertEqual(base64.b64decode(report["input"]["file_base64"]), raw_path)
        validate_report(self, report, report_path)
        for name in os.listdir(d.hooks):
            with open(os.path.join(d.hooks, name), "rb") as f:
                json.loads(f.read().decode("utf-8"))
        self.assertNotIn("\x1b", d.log_text(), "the daemon's log holds a raw escape")
        self.stop(d)

    def test_kill_9_at_each_alert_step_gives_one_entry_and_one_hook_call(self):
        """kill -9 after the store commit, after the journal entry was sent
        (not yet marked), after it was marked, after the hook started; then a
        restart: per dump exactly one journal entry and one hook call, both
        with the same KTRIAGE_ID."""
        points = ["after-record", "journal-sent", "after-journal", "after-hook"]
        runs = []
        for point in points:
            root = os.path.join(self.root, point)
            os.makedirs(os.path.join(root, "crash"))
            calls = os.path.join(root, "hook-calls")
            conf = os.path.join(root, "ktriaged.conf")
            with open(conf, "w") as f:
                f.write("[watch]\nsettle_seconds = 0.3\nrescan_seconds = 0\n"
                        "[analysis]\nworkers = 1\ntimeout_seconds = %d\n"
                        "[outputs]\nhook = echo \"$KTRIAGE_ID $KTRIAGE_DUMP\" >> %s\n"
                        % (TIMEOUT, calls))
            runs.append("run_point %s %s %s" % (point, root, conf))
        script = self.JOURNAL_START + r"""
run_point() {
    point=$1 root=$2 conf=$3
    KTRIAGED_TEST_KILL_AT=$point %(ktriaged)s --config $conf --watch $root/crash         --state-dir $root/state >>$root/daemon.log 2>&1 &
    daemon=$!
    sleep 0.5
    cp %(dump)s $root/staging && mv $root/staging $root/crash/vmcore
    wait $daemon
    echo "$point: first run ended with $?" >&2
    %(ktriaged)s --config $conf --watch $root/crash --state-dir $root/state         >>$root/daemon.log 2>&1 &
    daemon=$!
    i=0
    while [ $i -lt 600 ] && ! { [ -s $root/hook-calls ] &&
            journalctl --no-pager -o json KTRIAGE_DUMP=$root/crash/vmcore | grep -q .; }; do
        i=$((i + 1)); sleep 0.1
    done
    sleep 1
    kill -TERM $daemon; wait $daemon
}
%(runs)s
journalctl --no-pager -o json MESSAGE_ID=%(message_id)s
[ "$mode" = private ] && kill $journald
exit 0
""" % dict(ktriaged=KTRIAGED, dump=os.path.abspath(sample_dump()), runs="\n".join(runs),
           message_id=MESSAGE_ID)
        out = self.run_journal_script(script)
        entries = [json.loads(line) for line in out.stdout.splitlines()
                   if line.startswith("{")]
        for point in points:
            root = os.path.join(self.root, point)
            dump = os.path.join(root, "crash", "vmcore")
            self.assertIn("%s: first run ended with 137" % point, out.stderr,
                          "the daemon did not die at %s" % point)
            mine = [e for e in entries if e.get("KTRIAGE_DUMP") == dump]
            with open(os.path.join(root, "hook-calls")) as f:
                calls = f.read().splitlines()
            with open(os.path.join(root, "daemon.log"), errors="replace") as f:
                log = f.read()[-3000:]
            self.assertEqual(len(mine), 1, "%s: journal entries %r\n%s" % (point, mine, log))
            self.assertEqual(len(calls), 1, "%s: hook calls %r\n%s" % (point, calls, log))
            self.assertRegex(mine[0]["KTRIAGE_ID"], r"^[0-9a-f]{32}$")
            self.assertEqual(calls[0], "%s %s" % (mine[0]["KTRIAGE_ID"], dump))

    JOURNAL_START = r"""
set -u
mode=$1
if [ "$mode" = private ]; then
    mkdir -p /run/systemd /run/log
    mount -t tmpfs tmpfs /run/systemd || exit 77
    mkdir -p /run/systemd/journal
    mount -t tmpfs tmpfs /run/log || exit 77
    [ -d /var/log/journal ] && mount -t tmpfs tmpfs /var/log/journal
    /lib/systemd/systemd-journald >/dev/null 2>&1 &
    journald=$!
    i=0
    while [ ! -S /run/systemd/journal/socket ]; do
        i=$((i + 1)); [ $i -gt 200 ] && { echo "journald did not start" >&2; exit 77; }
        sleep 0.05
    done
fi
"""

    def test_corrupt_database_is_moved_aside_and_rebuilt(self):
        """A database overwritten with garbage: the daemon still becomes
        READY, says where it kept the damaged file, and triages the dump
        again into a new database."""
        d = self.daemon()
        d.start()
        staging = os.path.join(self.root, "staging")
        shutil.copyfile(sample_dump(), staging)
        os.rename(staging, os.path.join(d.crash, "dump.vmcore"))
        d.wait_finished(1)
        self.stop(d)
        db = os.path.join(d.state, "ktriage.db")
        for suffix in ("-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.unlink(db + suffix)
        with open(db, "r+b") as f:
            f.write(b"\xde\xad" * 4096)
        d.start()
        self.assertRegex(d.log_text(), r"<4>ktriaged: The findings store is damaged .*moved aside "
                         r"to .*ktriage\.db\.corrupt-\d+")
        self.assertTrue([n for n in os.listdir(d.state) if n.startswith("ktriage.db.corrupt-")])
        rows = d.wait_finished(1)
        self.assertEqual([r[2] for r in rows], ["done"])
        self.stop(d)

    def test_unusable_configuration_leaves_the_daemon_triaging(self):
        """A FIFO, /dev/zero or a directory as the configuration: refused in
        one line at once (no blocking, no spinning), and the daemon runs with
        the defaults and triages."""
        for config in ("fifo", "/dev/zero", "dir"):
            d = self.daemon()
            if config == "fifo":
                d.conf = os.path.join(self.root, "ktriaged.fifo")
                if not os.path.exists(d.conf):
                    os.mkfifo(d.conf)
            elif config == "dir":
                d.conf = os.path.join(self.root, "conf.d")
                os.makedirs(d.conf, exist_ok=True)
            else:
                d.conf = config
            check = subprocess.run([KTRIAGED, "--config", d.conf, "--check-config"],
                                   capture_output=True, text=True, timeout=10)
            self.assertEqual(check.returncode, 1)
            self.assertEqual(len(check.stderr.splitlines()), 1, check.stderr)
            self.assertRegex(check.stderr, r"is (a FIFO|a device|a directory), not a "
                             r"configuration file")
            d.start()
            self.assertIn("running with the defaults", d.log_text())
            name = "dump-%s.vmcore" % os.path.basename(config)
            staging = os.path.join(self.root, "staging")
            shutil.copyfile(sample_dump(), staging)
            os.rename(staging, os.path.join(d.crash, name))
            wait_for("%s triaged with config %s" % (name, config),
                     lambda: [r for r in d.dumps() if r[1].endswith(name) and r[2] == "done"])
            self.stop(d)

    def test_five_thousand_new_directories_under_limit_nofile_1024(self):
        """5,000 crash directories in one scan (the start-up scan), while the
        daemon runs with systemd's default LimitNOFILE=1024: every one is
        watched (one inotify descriptor for all), the dumps among them are
        triaged, and a dump written later into one of them is seen at once
        (rescan is off here)."""
        import resource
        d = self.daemon()
        with_dumps = {1234, 3456, 4999}
        names = ["127.0.0.1-%04d" % i for i in range(5000)]
        for i, name in enumerate(names):
            os.makedirs(os.path.join(d.crash, name))
            if i in with_dumps:
                shutil.copyfile(sample_dump(), os.path.join(d.crash, name, "vmcore"))
        limit = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
        d.start(preexec_fn=limit)
        rows = d.wait_finished(len(with_dumps), timeout=TIMEOUT * 2)
        self.assertEqual(sorted(r[1] for r in rows),
                         sorted(os.path.join(d.crash, names[i], "vmcore") for i in with_dumps))
        late = os.path.join(d.crash, names[2500], "vmcore")
        staging = os.path.join(self.root, "staging")
        shutil.copyfile(sample_dump(), staging)
        with open(staging, "ab") as f:
            f.write(b"\0")  # another file, not the same dump again
        os.rename(staging, late)
        rows = d.wait_finished(len(with_dumps) + 1, timeout=TIMEOUT * 2)
        self.assertEqual({r[2] for r in rows}, {"done"})
        self.assertIn(late, [r[1] for r in rows])
        log = d.log_text()
        self.assertNotIn("Too many open files", log)
        self.assertEqual(log.count("Watching %s/127.0.0.1-" % d.crash), 5000,
                         "not every new directory was watched")
        self.assertIsNone(d.proc.poll(), "the daemon died")
        self.stop(d)

    def test_dump_swapped_after_it_settled_is_not_read(self):
        """A settled dump waiting for a worker is swapped for a FIFO, then for
        a symbolic link to a secret: the daemon opens neither (O_NOFOLLOW,
        O_NONBLOCK, the settled inode), blocks on nothing, and no report or
        row holds the secret; the next dump is triaged as usual."""
        d = self.daemon(workers=1)
        d.start()
        secret = os.path.join(self.root, "secret.log")
        with open(secret, "w") as f:
            f.write("[    1.000000] TOPSECRET-hostile-test-token\n" * 50 +
                    "[    2.000000] Kernel panic - not syncing: TOPSECRET\n")
        first, swapped = (os.path.join(d.crash, n) for n in ("a.vmcore", "b.vmcore"))
        for path in (first, swapped):
            staging = os.path.join(self.root, "staging")
            shutil.copyfile(sample_dump(), staging)
            if path == swapped:
                with open(staging, "ab") as f:
                    f.write(b"\0")  # another dump, not a second name for the first
            os.rename(staging, path)
        wait_for("the first dump's analysis", lambda: "a.vmcore: analysing" in d.log_text())
        os.unlink(swapped)
        os.mkfifo(swapped)
        time.sleep(0.3)
        os.unlink(swapped)
        os.symlink(secret, swapped)
        last = os.path.join(d.crash, "c.vmcore")
        staging = os.path.join(self.root, "staging")
        shutil.copyfile(sample_dump(), staging)
        with open(staging, "ab") as f:
            f.write(b"\0\0")
        os.rename(staging, last)
        wait_for("the last dump triaged",
                 lambda: [r for r in d.dumps() if r[1] == last and r[2] == "done"], timeout=60)
        for row in d.analyses():
            self.assertNotIn("TOPSECRET", repr(row))
        for name in os.listdir(os.path.join(d.state, "reports")):
            with open(os.path.join(d.state, "reports", name)) as f:
                self.assertNotIn("TOPSECRET", f.read())
        self.assertRegex(d.log_text(), r"b\.vmcore: not read: ",
                         "the swap was not seen when the dump was opened")
        swapped_rows = [r for r in d.dumps() if r[1] == swapped]
        for row in swapped_rows:  # read before the swap: the original dump
            verdicts = [a[4] for a in d.analyses() if a[1] == row[0]]
            self.assertEqual(verdicts, [expected_verdict(SAMPLE)])
        self.stop(d)

    def test_journal_entry(self):
        """The journal entry, found by MESSAGE_ID, with the catalog's text."""
        out = self.run_journal_script(self.journal_script())
        entries = [json.loads(line) for line in out.stdout.splitlines()
                   if line.startswith("{")]
        mine = [e for e in entries if e.get("KTRIAGE_DUMP", "").startswith(self.root)]
        self.assertEqual(len(mine), 1, "journal entries for this test: %r" % entries)
        e = mine[0]
        self.assertEqual(e["MESSAGE_ID"], MESSAGE_ID)
        self.assertEqual(e["KTRIAGE_VERDICT"], expected_verdict(SAMPLE))
        self.assertRegex(e["KTRIAGE_SIGNATURE"], r"^kt2:[0-9a-f]{16}$")
        self.assertEqual(e["KTRIAGE_PANIC"], "hung_task: blocked tasks")
        self.assertTrue(e["KTRIAGE_REPORT"].endswith(".json"))
        self.assertEqual(e["PRIORITY"], "2", "a crash verdict is logged at LOG_CRIT")
        self.assertIn("Kernel crash dump triaged: " + expected_verdict(SAMPLE), out.stdout,
                      "journalctl -x did not show the catalog text")

    def journal_script(self, dump_dir=None, query=None, wrap=""):
        d = Daemon(self.root)
        dump_dir = dump_dir or os.path.join(d.crash, "127.0.0.1-2024-05-03-00:00:00")
        query = query or "MESSAGE_ID=%s KTRIAGE_DUMP=%s/vmcore" % (MESSAGE_ID, dump_dir)
        return r"""
set -u
mode=$1
if [ "$mode" = private ]; then
    # A journald of our own in this mount namespace: sockets in a private
    # /run/systemd, journal files in a private /run/log, our catalog.
    mkdir -p /run/systemd /run/log
    mount -t tmpfs tmpfs /run/systemd || exit 77
    mkdir -p /run/systemd/journal
    mount -t tmpfs tmpfs /run/log || exit 77
    [ -d /var/log/journal ] && mount -t tmpfs tmpfs /var/log/journal
    mkdir -p /var/lib/systemd/catalog 2>/dev/null
    mount -t tmpfs tmpfs /var/lib/systemd/catalog || exit 77
    mkdir -p /usr/lib/systemd/catalog
    mount -t tmpfs tmpfs /usr/lib/systemd/catalog || exit 77
    cp %(catalog)s /usr/lib/systemd/catalog/ && journalctl --update-catalog || exit 77
    /lib/systemd/systemd-journald >%(root)s/journald.log 2>&1 &
    journald=$!
    i=0
    while [ ! -S /run/systemd/journal/socket ]; do
        i=$((i + 1)); [ $i -gt 200 ] && { echo "journald did not start" >&2; cat %(root)s/journald.log >&2; exit 77; }
        sleep 0.05
    done
fi
mkdir -p %(dump_dir)s %(state)s
%(wrap)s %(ktriaged)s --config %(conf)s --watch %(crash)s --state-dir %(state)s >%(root)s/daemon.log 2>&1 &
daemon=$!
sleep 0.5
cp %(dump)s %(dump_dir)s/vmcore-incomplete && mv %(dump_dir)s/vmcore-incomplete %(dump_dir)s/vmcore
found=
i=0
while [ $i -lt 600 ]; do
    if journalctl --no-pager -o json %(query)s | grep -q .; then
        found=1; break
    fi
    i=$((i + 1)); sleep 0.1
done
kill -TERM $daemon; wait $daemon
status=$?
journalctl --no-pager -o json %(query)s
journalctl --no-pager -o json SYSLOG_IDENTIFIER=ktriaged-test
journalctl --no-pager -x %(query)s
[ "$mode" = private ] && kill $journald
[ -n "$found" ] || { echo "no journal entry; daemon log:" >&2; cat %(root)s/daemon.log >&2; exit 1; }
exit $status
""" % dict(catalog=CATALOG, root=self.root, dump_dir=dump_dir, state=d.state,
           ktriaged=KTRIAGED, conf=d.conf, crash=d.crash, dump=os.path.abspath(sample_dump()),
           message_id=MESSAGE_ID, query=query, wrap=wrap)


if __name__ == "__main__":
    unittest.main()
