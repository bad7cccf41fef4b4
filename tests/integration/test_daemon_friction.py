# SPDX-License-Identifier: MIT
"""ktriaged on first use: what a new user met, each fixed and kept fixed.

- a file that cannot be a dump (text, empty) is decided at once, not probed
  again and again; only what starts like a dump is retried, and each log
  line names the file once;
- inputs not yet recorded are in `ktriage list` with their state;
- a SIGHUP or a restart does not announce already-handled logs as new;
- the Prometheus textfile: one line at start when its directory is missing
  (node-exporter not installed), nothing after each triage; --textfile;
  SIGHUP writes it again;
- a watched directory missing at start is watched as soon as it appears
  (no periodic rescan in these tests: rescan_seconds = 0).

The same harness as test_daemon.py (daemon_harness.py): the real daemon, inotify and SQLite.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import (KTRIAGED, SAMPLE, DaemonTestCase, sample_dump,  # noqa: E402
                            wait_for)


def drop(daemon, name, src=None, data=None, directory=None):
    """Write a file beside the crash directory, then rename it in."""
    tmp = os.path.join(daemon.root, ".tmp-" + os.path.basename(name))
    if src:
        shutil.copyfile(src, tmp)
    else:
        with open(tmp, "wb") as f:
            f.write(data)
    dst = os.path.join(directory or daemon.crash, name)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    os.rename(tmp, dst)
    return dst


def pending_paths(state):
    try:
        with open(os.path.join(state, "queue.json")) as f:
            return [job["path"] for job in json.load(f)["jobs"]]
    except (OSError, ValueError):
        return []


def lines_naming(text, path):
    return [line for line in text.splitlines() if path in line]


@unittest.skipUnless(os.path.exists(KTRIAGED), "ktriaged is not built (%s)" % KTRIAGED)
class FrictionTest(DaemonTestCase):
    prefix = "kt-friction-"

    def test_a_file_that_cannot_be_a_dump_is_decided_at_once(self):
        d = self.daemon(probe_retries=6).start()
        text = drop(d, "127.0.0.1-2024-05-03-00:00:00/vmcore", data=b"not a dump at all\n" * 50)
        empty = drop(d, "empty.vmcore", data=b"")
        started = time.monotonic()
        d.wait_finished(2, timeout=30)
        self.assertLess(time.monotonic() - started, 15,
                        "non-dumps waited for retries: %s" % d.log_text()[-2000:])
        log = d.log_text()
        for path in (text, empty):
            self.assertNotIn("not complete yet", "\n".join(lines_naming(log, path)),
                             "%s was probed again as if it could still grow" % path)
        outcomes = {r[1]: r[2] for r in d.dumps()}
        self.assertEqual(outcomes, {text: "failed", empty: "failed"})
        reasons = [a[3] for a in d.analyses()]
        self.assertTrue(all(r for r in reasons), "a failure without its reason: %r" % reasons)

        self.stop(d)

        # A dump's header cut short can still grow: probed again, then analysed.
        d = self.daemon(probe_retries=1).start()
        with open(sample_dump(), "rb") as f:
            head = f.read(4096)
        short = drop(d, "short.vmcore", data=head)
        d.wait_finished(3, timeout=60)
        log = d.log_text()
        retries = [line for line in lines_naming(log, short) if "not complete yet" in line]
        self.assertTrue(retries, "the cut-short dump was not probed again:\n%s" % log[-2000:])
        for line in lines_naming(log, short):
            self.assertEqual(line.count(short), 1, "the path twice in one line: %s" % line)
        self.stop(d)

    def test_inputs_not_yet_recorded_are_listed_with_their_state(self):
        d = self.daemon(settle=60).start()  # the dump settles for a minute
        dump = drop(d, "waiting.vmcore", src=sample_dump())
        pending = os.path.join(d.state, "queue.json")
        wait_for("the pending list", lambda: dump in pending_paths(d.state))
        rows = json.loads(d.ktriage("list", "--json"))
        row = [r for r in rows if r["dump"] == dump]
        self.assertEqual(len(row), 1, "list --json: %r" % rows)
        self.assertIsNone(row[0]["id"])
        self.assertEqual(row[0]["state"], "settling")
        table = d.ktriage("list")
        self.assertRegex(table, r"(?m)^-\s+.*\bsettling\s+-\s+-\s+%s$" % re.escape(dump))
        self.assertEqual(json.loads(d.ktriage("list", "--json", "--verdict", "oom")), [],
                         "an input with no verdict yet matched --verdict")

        # A stopped daemon leaves no list behind; a killed one's is ignored.
        self.stop(d)
        self.assertFalse(os.path.exists(pending), "queue.json outlived a clean stop")
        d = self.daemon(settle=60).start()
        wait_for("the pending list", lambda: dump in pending_paths(d.state))
        d.kill9()
        self.assertTrue(os.path.exists(pending))
        self.assertEqual(json.loads(d.ktriage("list", "--json")), [],
                         "a dead daemon's queue is still listed")

    def test_sighup_and_restart_do_not_announce_handled_logs_again(self):
        d = self.daemon().start()
        rhel = os.path.join(d.crash, "127.0.0.1-2024-05-04-00:00:00")
        drop(d, "vmcore-dmesg.txt", src=os.path.join(SAMPLE, "vmcore-dmesg.txt"), directory=rhel)
        drop(d, "vmcore", src=sample_dump(), directory=rhel)
        alone = os.path.join(d.crash, "127.0.0.1-2024-05-05-00:00:00")
        drop(d, "vmcore-dmesg.txt", src=os.path.join(SAMPLE, "vmcore-dmesg.txt"), directory=alone)
        d.wait_finished(2)
        self.assertEqual(sorted(r[1] for r in d.dumps()),
                         sorted([os.path.join(rhel, "vmcore"),
                                 os.path.join(alone, "vmcore-dmesg.txt")]))
        before = len(d.log_text())
        d.proc.send_signal(signal.SIGHUP)
        wait_for("the reload", lambda: "Configuration reloaded" in d.log_text()[before:])
        time.sleep(1)
        self.assertNotRegex(d.log_text()[before:], r": new (log|dump)",
                            "SIGHUP announced handled inputs again")
        self.stop(d)
        before = len(d.log_text())
        d.start()
        time.sleep(1)
        self.assertNotRegex(d.log_text()[before:], r": new (log|dump)",
                            "a restart announced handled inputs again")
        self.assertEqual(len(d.dumps()), 2)
        self.stop(d)

    def test_textfile_directory_missing_then_flag_then_sighup(self):
        d = self.daemon()
        absent = os.path.join(self.root, "node-exporter")
        textfile = os.path.join(absent, "ktriage.prom")
        with open(d.conf) as f:
            conf = f.read()
        with open(d.conf, "w") as f:
            f.write(conf.replace("prometheus_textfile = %s" % d.prom,
                                 "prometheus_textfile = %s" % textfile))
        d.start()
        drop(d, "one.vmcore", src=sample_dump())
        d.wait_finished(1)
        time.sleep(0.5)
        mentions = lines_naming(d.log_text(), textfile)
        self.assertEqual(len(mentions), 1, "not one line about the textfile: %r" % mentions)
        self.assertIn("not written", mentions[0])
        self.assertNotIn("Failed to write", d.log_text())

        # node-exporter installed meanwhile: SIGHUP writes the file at once.
        os.mkdir(absent)
        d.proc.send_signal(signal.SIGHUP)
        wait_for("the textfile after SIGHUP", lambda: os.path.exists(textfile))
        with open(textfile) as f:
            self.assertRegex(f.read(), r'ktriage_crashes_total\{[^}]*verdict="cgroup_deadlock"')
        os.unlink(textfile)
        d.proc.send_signal(signal.SIGHUP)
        wait_for("the textfile rewritten on SIGHUP", lambda: os.path.exists(textfile))
        self.stop(d)

        # --textfile overrides the configuration.
        flagged = os.path.join(self.root, "flagged.prom")
        d.start(args=["--textfile", flagged])
        wait_for("the --textfile file", lambda: os.path.exists(flagged))
        with open(flagged) as f:
            self.assertIn("ktriage_crashes_total{", f.read())
        self.stop(d)
        check = subprocess.run([KTRIAGED, "--config", d.conf, "--textfile", flagged,
                                "--check-config"], capture_output=True, text=True)
        self.assertIn("prometheus_textfile = %s\n" % flagged, check.stdout)

    def test_a_watched_directory_missing_at_start_is_watched_when_it_appears(self):
        d = self.daemon()
        os.rmdir(d.crash)
        d.crash = os.path.join(self.root, "late", "crash")
        d.start()
        wait_for("the wait for the directory",
                 lambda: "%s does not exist (yet): watching %s" % (d.crash, self.root)
                 in d.log_text())
        os.makedirs(d.crash)
        drop(d, "late.vmcore", src=sample_dump())
        d.wait_finished(1, timeout=30)
        self.assertEqual(d.dumps()[0][1], os.path.join(d.crash, "late.vmcore"))
        self.stop(d)


if __name__ == "__main__":
    unittest.main()
