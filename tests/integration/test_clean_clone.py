# SPDX-License-Identifier: MIT
"""Install and package from what is committed, as a user's clean clone.

`git clone` of HEAD (so a file that exists here but is not in git, or is
hidden by .gitignore, fails this test), then in the clone:

- `make install DESTDIR=...` with the Debian package's paths: every file of
  the install table, the unit's ExecStart= and the kdump-tools drop-in
  pointing at the installed paths;
- `make deb` (DEB_BUILD_OPTIONS=nocheck: the unit tests run in make check):
  the package holds the same files;
- `make rpm` (rpmbuild; rpmlint when installed): `rpm -qlp` lists every file
  of rpm/ktriage.spec's table, `rpm -qp --scripts` the systemd scriptlets,
  the configuration is %config(noreplace), the version is VERSION.

Bounded: each build is one -j2 compile without sanitizers (about 20 s of
CPU), each step limited to KT_CLEAN_CLONE_TIMEOUT seconds (1200: a loaded
two-CPU machine).  Skipped, with the
reason, where there is no git checkout or no dpkg-buildpackage / rpmbuild
(./bootstrap installs both).
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMEOUT = float(os.environ.get("KT_CLEAN_CLONE_TIMEOUT", "1200"))
with open(os.path.join(TOP, "VERSION")) as f:
    VERSION = f.read().strip()

# The Debian package's paths (debian/rules), for the DESTDIR install.
DEB_VARS = ["PREFIX=/usr", "SBINDIR=/usr/sbin", "LIBEXECDIR=/usr/libexec",
            "UNITDIR=/lib/systemd/system", "CATALOGDIR=/usr/lib/systemd/catalog"]
# What every package installs (docs/install.md's table); the unit's directory
# differs: /lib/systemd/system on Debian 12, /usr/lib/systemd/system on RHEL.
COMMON_FILES = [
    "/usr/bin/ktriage", "/usr/sbin/ktriaged", "/usr/lib/systemd/catalog/ktriage.catalog",
    "/etc/ktriage/ktriaged.conf", "/usr/share/bash-completion/completions/ktriage",
    "/usr/share/bash-completion/completions/ktriaged",
    "/usr/libexec/ktriage/kdump-post", "/usr/libexec/ktriage/kdump-tools-savecore",
    "/usr/share/doc/ktriage/examples/kdump-tools-dump.service.d/ktriage.conf",
    "/usr/share/doc/ktriage/examples/prometheus/ktriage.rules.yml",
    "/usr/share/doc/ktriage/examples/prometheus/ktriage-dashboard.json",
    "/usr/share/doc/ktriage/report.schema.json",
]
MAN_PAGES = ["/usr/share/man/man1/ktriage.1", "/usr/share/man/man5/ktriaged.conf.5",
             "/usr/share/man/man8/ktriaged.8"]


def in_git_checkout():
    return shutil.which("git") and subprocess.run(
        ["git", "-C", TOP, "rev-parse", "--git-dir"], capture_output=True).returncode == 0


@unittest.skipUnless(in_git_checkout(), "not a git checkout: nothing to clone")
class CleanCloneTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kt-clone-")
        cls.clone = os.path.join(cls.tmp, "ktriage")
        cls.env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2", MAKEFLAGS="-j2")
        for var in ("KTRIAGE", "KT_TESTS_BIN", "ASAN_OPTIONS", "UBSAN_OPTIONS", "MAKELEVEL",
                    "MFLAGS", "CFLAGS", "BUILD"):
            cls.env.pop(var, None)
        cls.run_in_clone(["git", "clone", "-q", TOP, cls.clone], cwd=cls.tmp)
        cls.destdir = os.path.join(cls.tmp, "stage")
        cls.install = cls.run_in_clone(["make", "install", "DESTDIR=" + cls.destdir] + DEB_VARS)
        cls.results = {}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def run_in_clone(cls, args, cwd=None, check=True):
        try:
            out = subprocess.run(args, cwd=cwd or cls.clone, env=cls.env, capture_output=True,
                                 text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError("%s took more than %.0f s (KT_CLEAN_CLONE_TIMEOUT)"
                                 % (" ".join(args), TIMEOUT))
        if check and out.returncode != 0:
            raise AssertionError("%s failed (%d) in a clean clone:\n%s" % (
                " ".join(args), out.returncode, (out.stdout + out.stderr)[-4000:]))
        return out

    def test_install_into_destdir(self):
        missing = [p for p in COMMON_FILES + MAN_PAGES + ["/lib/systemd/system/ktriaged.service"]
                   if not os.path.isfile(self.destdir + p)]
        self.assertEqual(missing, [], "make install did not install these")
        self.assertTrue(os.path.isdir(self.destdir + "/var/lib/ktriage"))
        with open(self.destdir + "/lib/systemd/system/ktriaged.service") as f:
            self.assertIn("\nExecStart=/usr/sbin/ktriaged", f.read())
        with open(self.destdir + COMMON_FILES[8]) as f:
            dropin = f.read()
        self.assertIn("\nExecStart=/usr/libexec/ktriage/kdump-tools-savecore\n", dropin)
        self.assertNotRegex(dropin, r"@[A-Z]+@", "a placeholder left in the drop-in")
        self.assertTrue(os.access(self.destdir + "/usr/libexec/ktriage/kdump-post", os.X_OK))

    @unittest.skipUnless(shutil.which("dpkg-buildpackage"), "no dpkg-buildpackage (./bootstrap)")
    def test_deb_from_the_clone(self):
        self.run_in_clone(["make", "deb"])
        debs = [f for f in os.listdir(os.path.join(self.clone, "build/deb"))
                if re.match(r"ktriage_%s_[a-z0-9]+\.deb$" % re.escape(VERSION), f)]
        self.assertEqual(len(debs), 1, os.listdir(os.path.join(self.clone, "build/deb")))
        listing = self.run_in_clone(["dpkg-deb", "--contents",
                                     os.path.join("build/deb", debs[0])]).stdout
        # "drwxr-xr-x root/root 0 2026-12-06 01:10 ./usr/bin/", links "PATH -> TARGET"
        paths = [re.search(r" \.(/\S*)", line).group(1) for line in listing.splitlines()]
        listed = {re.sub(r"\.gz$", "", p.rstrip("/")) for p in paths}
        missing = [p for p in COMMON_FILES + MAN_PAGES + ["/lib/systemd/system/ktriaged.service"]
                   if p not in listed]
        self.assertEqual(missing, [], "the .deb lacks these")

    @unittest.skipUnless(shutil.which("rpmbuild"), "no rpmbuild (Debian: rpm; ./bootstrap)")
    def test_rpm_from_the_clone(self):
        out = self.run_in_clone(["make", "rpm", "RPMBUILD_ARGS=--nocheck"])
        rpms = []
        for d, _, files in os.walk(os.path.join(self.clone, "build/rpm/RPMS")):
            rpms += [os.path.join(d, f) for f in files if f.endswith(".rpm")]
        self.assertEqual(len(rpms), 1, rpms)
        self.assertRegex(os.path.basename(rpms[0]), r"^ktriage-%s-1\." % re.escape(VERSION))
        if shutil.which("rpmlint"):
            self.assertRegex(out.stdout, r"\b0 errors\b", "rpmlint did not run clean")
        listed = set(self.run_in_clone(["rpm", "-qlp", rpms[0]]).stdout.split())
        listed = {re.sub(r"\.(gz|bz2|xz|zst)$", "", p) for p in listed}
        missing = [p for p in COMMON_FILES + MAN_PAGES +
                   ["/usr/lib/systemd/system/ktriaged.service", "/var/lib/ktriage"]
                   if p not in listed]
        self.assertEqual(missing, [], "the RPM lacks these")
        scripts = self.run_in_clone(["rpm", "-qp", "--scripts", rpms[0]]).stdout
        for phase, action in (("postinstall", "preset"), ("preuninstall", "disable"),
                              ("postuninstall", "try-restart")):
            self.assertRegex(scripts, r"(?s)%s scriptlet.*?systemctl.*?%s.*?ktriaged\.service"
                             % (phase, action), "no %s of the unit in %s" % (action, phase))
        configs = self.run_in_clone(["rpm", "-qp", "--configfiles", rpms[0]]).stdout.split()
        self.assertEqual(configs, ["/etc/ktriage/ktriaged.conf"])
        modes = self.run_in_clone(["rpm", "-qp", "--qf", "[%{FILENAMES} %{FILEMODES:perms}\n]",
                                   rpms[0]]).stdout
        self.assertIn("/var/lib/ktriage drwxr-x---", modes)


if __name__ == "__main__":
    unittest.main()
