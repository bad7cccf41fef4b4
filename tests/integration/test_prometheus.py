# SPDX-License-Identifier: MIT
"""The fleet's alerting, contrib/prometheus/, against what ktriaged writes.

- promtool check rules and promtool test rules (ktriage.rules.test.yml:
  each alert fires when it should and not otherwise);
- the real daemon's textfile after triaging the bundled dump passes
  `promtool check metrics`, and its crash counter carries host (the dump's
  own nodename, as `ktriage sys` reads it), kernel_release, verdict and
  signature (as `ktriage analyze` gives them);
- every metric the rules and the Grafana dashboard use is one the daemon
  writes, and every dashboard query parses (promtool, as recording rules).

Needs promtool (Debian: prometheus; ./bootstrap installs it).
Environment: KTRIAGE (ktriaged beside it), KT_SAMPLE.
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
from daemon_harness import KTRIAGE, KTRIAGED, Daemon, sample_dump  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONTRIB = os.path.join(TOP, "contrib", "prometheus")
RULES = os.path.join(CONTRIB, "ktriage.rules.yml")
DASHBOARD = os.path.join(CONTRIB, "ktriage-dashboard.json")
PROMTOOL = shutil.which("promtool")
# Grafana's variables, as the dashboard would expand them.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__range": "1h", "$host": ".*",
                     "$kernel_release": ".*", "$verdict": ".*"}


def promtool(*args, stdin=None):
    return subprocess.run([PROMTOOL] + list(args), input=stdin, capture_output=True,
                          text=True, timeout=120, cwd=CONTRIB)


def dashboard_exprs():
    with open(DASHBOARD) as f:
        dashboard = json.load(f)
    return [t["expr"] for p in dashboard["panels"] for t in p["targets"]]


def metric_names(expr):
    return set(re.findall(r"\b(ktriage_[a-z_]+)\b", expr))


@unittest.skipUnless(PROMTOOL, "promtool is not installed (Debian: prometheus; ./bootstrap)")
class AlertingRulesTest(unittest.TestCase):
    def test_rules_check(self):
        out = promtool("check", "rules", RULES)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("4 rules found", out.stdout)

    def test_rules_unit_tests(self):
        out = promtool("test", "rules", "ktriage.rules.test.yml")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_dashboard_queries_parse(self):
        exprs = dashboard_exprs()
        self.assertGreaterEqual(len(exprs), 8)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "dashboard.rules.yml")
            with open(path, "w") as f:
                f.write("groups:\n  - name: dashboard\n    rules:\n")
                for i, expr in enumerate(exprs):
                    for var, value in GRAFANA_VARIABLES.items():
                        expr = expr.replace(var, value)
                    f.write("      - record: dashboard:query%d\n        expr: %s\n"
                            % (i, json.dumps(expr)))
            out = promtool("check", "rules", path)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)


@unittest.skipUnless(PROMTOOL, "promtool is not installed (Debian: prometheus; ./bootstrap)")
@unittest.skipUnless(os.path.exists(KTRIAGED), "ktriaged is not built (%s)" % KTRIAGED)
class TextfileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="kt-prom-")
        d = Daemon(cls.root).start()
        try:
            shutil.copyfile(sample_dump(), os.path.join(cls.root, "tmp"))
            os.rename(os.path.join(cls.root, "tmp"), os.path.join(d.crash, "one.vmcore"))
            d.wait_finished(1)
            d.stop()
        finally:
            if d.proc.poll() is None:
                d.kill9()
        with open(d.prom) as f:
            cls.textfile = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def test_textfile_lints(self):
        out = promtool("check", "metrics", stdin=self.textfile)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr + self.textfile)

    def test_crash_counter_labels(self):
        sys_out = subprocess.run([KTRIAGE, "sys", sample_dump()], capture_output=True,
                                 text=True, timeout=60).stdout
        nodename = re.search(r"NODENAME: (\S+)", sys_out).group(1)
        report = json.loads(subprocess.run([KTRIAGE, "analyze", "--json", sample_dump()],
                                           capture_output=True, text=True, timeout=60).stdout)
        self.assertEqual(report["input"]["host"], nodename)
        expected = ('ktriage_crashes_total{host="%s",kernel_release="%s",verdict="%s",'
                    'signature="%s"} 1' % (nodename, report["input"]["kernel_release"],
                                           report["verdict"], report["signature"]))
        self.assertIn(expected, self.textfile.splitlines())

    def test_rules_and_dashboard_use_metrics_the_daemon_writes(self):
        written = set(re.findall(r"^# TYPE (\S+) ", self.textfile, re.M))
        with open(RULES) as f:
            used = metric_names(f.read())
        for expr in dashboard_exprs():
            used |= metric_names(expr)
        self.assertTrue(used)
        self.assertLessEqual(used, written, "used but never written: %s" % (used - written))


if __name__ == "__main__":
    unittest.main()
