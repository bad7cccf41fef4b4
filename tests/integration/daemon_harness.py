# SPDX-License-Identifier: MIT
"""The daemon test harness test_daemon.py, test_daemon_friction.py and
test_prometheus.py share: ktriaged run for real in a temporary directory
(Daemon), the waits, and a TestCase base that starts and stops daemons.

Environment: KTRIAGE (build/.../ktriage; ktriaged is beside it), KT_SAMPLE.
"""
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

KTRIAGE = os.path.abspath(os.environ.get("KTRIAGE", "build/ktriage"))
KTRIAGED = os.path.join(os.path.dirname(KTRIAGE), "ktriaged")
SAMPLE = os.environ.get("KT_SAMPLE", "samples/cgroup_deadlock")

# The sanitizer build is slower; every wait is bounded by this.
TIMEOUT = 90


def sample_dump():
    return os.path.join(SAMPLE, "vmcore.kdump")


def wait_for(what, predicate, timeout=TIMEOUT, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


# ---- A small JSON Schema validator (draft 2020-12/07 subset) -------------

# ---- The daemon ------------------------------------------------------------

class Daemon:
    """ktriaged in a temporary directory: crash/, state/, its log and sd_notify."""

    def __init__(self, root, workers=1, settle=0.3, probe_retries=2, hook=True,
                 timeout=TIMEOUT, pstore=None):
        self.root = root
        self.crash = os.path.join(root, "crash")
        self.state = os.path.join(root, "state")
        self.prom = os.path.join(self.state, "ktriage.prom")
        self.hooks = os.path.join(root, "hooks")
        self.log_path = os.path.join(root, "daemon.log")
        for d in (self.crash, self.hooks):
            os.makedirs(d, exist_ok=True)
        self.conf = os.path.join(root, "ktriaged.conf")
        hook_cmd = ('cat > %s/$KTRIAGE_DUMP_ID-$KTRIAGE_OUTCOME.json' % self.hooks) if hook else ""
        with open(self.conf, "w") as f:
            f.write("[watch]\nsettle_seconds = %s\nprobe_retries = %d\nrescan_seconds = 0\n"
                    "pstore = %s\n"
                    "[analysis]\nworkers = %d\ntimeout_seconds = %s\n"
                    "[outputs]\nprometheus_textfile = %s\nhook = %s\n"
                    % (settle, probe_retries, pstore or "", workers, timeout, self.prom,
                       hook_cmd))
        self.proc = None
        self.sock = None
        self.statuses = []
        self.ready = False

    def start(self, extra_env=None, args=(), preexec_fn=None):
        sock_path = os.path.join(self.root, "notify.sock")
        if os.path.exists(sock_path):
            os.unlink(sock_path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(sock_path)
        self.sock.settimeout(0.05)
        # Drained all the time, as systemd does: sd_notify blocks on a full queue.
        self.listening = True
        self.listener = threading.Thread(target=self.listen, daemon=True)
        self.listener.start()
        env = dict(os.environ, NOTIFY_SOCKET=sock_path)
        env.update(extra_env or {})
        self.log = open(self.log_path, "ab")
        self.ready = False
        self.proc = subprocess.Popen(
            [KTRIAGED, "--config", self.conf, "--watch", self.crash,
             "--state-dir", self.state, "--debug"] + list(args),
            stdout=self.log, stderr=self.log, env=env, preexec_fn=preexec_fn)
        wait_for("READY=1 from ktriaged (log: %s)" % self.log_path,
                 lambda: self.ready or self.exited())
        if not self.ready:
            raise AssertionError("ktriaged exited with %s before READY=1:\n%s"
                                 % (self.proc.returncode, self.log_text()))
        return self

    def exited(self):
        return self.proc.poll() is not None

    def listen(self):
        while self.listening:
            try:
                data = self.sock.recv(65536).decode()
            except socket.timeout:
                continue
            except OSError:
                return
            for line in data.split("\n"):
                if line == "READY=1":
                    self.ready = True
                elif line.startswith("STATUS="):
                    self.statuses.append(line[7:])

    def poll_notify(self):
        time.sleep(0.1)  # what was sent is read by the listener

    def stop(self):
        """SIGTERM: the daemon must end cleanly (and, under ASan, leak nothing)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=TIMEOUT)
        self.close()
        return self.proc.returncode

    def kill9(self):
        self.proc.kill()
        self.proc.wait(timeout=TIMEOUT)
        self.close()

    def close(self):
        if self.sock:
            self.listening = False
            self.listener.join()
            self.sock.close()
            self.sock = None
        if not self.log.closed:
            self.log.close()

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def query(self, sql, *args):
        db = os.path.join(self.state, "ktriage.db")
        if not os.path.exists(db):
            return []
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
        # Paths are bytes a crash directory chose, not necessarily UTF-8.
        con.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
        try:
            return con.execute(sql, args).fetchall()
        except sqlite3.OperationalError:
            return []  # not migrated yet
        finally:
            con.close()

    def dumps(self):
        return self.query("SELECT id, path, state, attempts FROM dumps ORDER BY id")

    def analyses(self):
        return self.query("SELECT a.id, a.dump_id, a.outcome, a.reason, a.verdict,"
                          " a.signature, a.report_path, a.started, a.finished"
                          " FROM analyses a ORDER BY a.id")

    def wait_finished(self, count, timeout=TIMEOUT):
        try:
            return wait_for("%d dumps finished" % count,
                            lambda: (len([d for d in self.dumps() if d[2] in ("done", "failed")])
                                     >= count) and self.dumps(), timeout)
        except AssertionError as e:
            raise AssertionError("%s; recorded: %r; daemon log ends:\n%s"
                                 % (e, self.dumps(), self.log_text()[-3000:]))

    def ktriage(self, *args):
        out = subprocess.run([KTRIAGE] + list(args) + ["--state-dir", self.state],
                             capture_output=True, text=True, timeout=TIMEOUT)
        if out.returncode != 0:
            raise AssertionError("ktriage %s failed (%d): %s" % (" ".join(args),
                                                                out.returncode, out.stderr))
        return out.stdout


class DaemonTestCase(unittest.TestCase):
    """Daemons started in a fresh directory per test, killed if left running."""
    prefix = "kt-daemon-"

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix=self.prefix)
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            if d.proc and d.proc.poll() is None:
                d.kill9()
        shutil.rmtree(self.root, ignore_errors=True)

    def daemon(self, **kwargs):
        d = Daemon(self.root, **kwargs)
        self.daemons.append(d)
        return d

    def stop(self, d):
        status = d.stop()
        self.assertEqual(status, 0, "ktriaged did not stop cleanly on SIGTERM:\n%s"
                         % d.log_text()[-4000:])
