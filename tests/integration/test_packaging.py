# SPDX-License-Identifier: MIT
"""The packaging stays in step with the programs it packages.

- every command of `ktriage --help`, and every option each command really
  accepts (probed: an unknown option exits 2), is in ktriage(1) and in the
  bash completion, which offers no option the command refuses;
- every option of `ktriaged --help` is in ktriaged(8) and the completion;
- every key of `ktriaged --check-config` is in ktriaged.conf(5) under its
  section, and in the shipped conf/ktriaged.conf;
- the man pages render with scdoc; the completion completes;
- the kdump-tools hook saves, notifies, then reboots (stubs, no root);
- debian/control's Build-Depends are bootstrap's BUILD_PACKAGES (less what
  every Debian build has), and debian/changelog's version is VERSION.

The install itself, in a fresh Debian root, is tests/package/test-install.sh.

Environment: KTRIAGE (the binary; ktriaged is beside it).
"""
import concurrent.futures
import os
import re
import shutil
import subprocess
import tempfile
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KTRIAGE = os.path.abspath(os.environ.get("KTRIAGE", os.path.join(TOP, "build/ktriage")))
KTRIAGED = os.path.join(os.path.dirname(KTRIAGE), "ktriaged")
COMPLETION = os.path.join(TOP, "completion/ktriage.bash")
MAN = os.path.join(TOP, "docs/man")


def read(path):
    with open(os.path.join(TOP, path), encoding="utf-8") as f:
        return f.read()


def run(*args, **kwargs):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, **kwargs)


def commands():
    """The command names listed by `ktriage --help`."""
    out = run(KTRIAGE, "--help").stdout
    section = out.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    # "  name  ARGS  summary", the summary maybe on an indented line of its own.
    return [m.group(1) for m in re.finditer(r"^  ([a-z]+)\b", section, re.M)]


# Every option some command takes, with an argument that parses.
PROBES = {
    "--json": [], "--vmlinux": ["/nonexistent/vmlinux"], "--btf": ["/nonexistent/btf"],
    "--dot": [], "--all": [], "-a": [], "--all-tasks": [], "--state": ["UN"],
    "--pfns": ["0-1"], "--state-dir": ["/nonexistent/state"], "--since": ["today"],
    "--verdict": ["oom"], "--log": ["/nonexistent/log"],
    # The inspection commands' crash-style switches.
    "-x": [], "-d": [], "-s": [], "-p": [], "-m": [], "-i": [], "-g": [],
    "-8": [], "-16": [], "-32": [], "-64": [], "-T": [], "--level": ["err"],
    "-f": [], "-c": ["0"],
}


def accepts(command, option):
    """Whether `ktriage COMMAND OPTION [ARG] OPERAND` gets past option parsing.

    The operand does not exist, so an accepted option ends in exit 1 (or 0),
    a refused one in exit 2 with "unknown option"."""
    result = run(KTRIAGE, command, option, *PROBES[option], "/nonexistent/dump")
    return not (result.returncode == 2 and "unknown option" in result.stderr)


def man_blocks(scd):
    """{term: text}: each definition of a scdoc page ("*term* ..." at the
    start of a line, then its tab-indented lines)."""
    blocks, term = {}, None
    for line in scd.splitlines():
        match = re.match(r"\*([a-z-]+)\*", line)
        if match:
            term = match.group(1)
            blocks[term] = line + "\n"
        elif term and (line.startswith("\t") or not line.strip()):
            blocks[term] += line + "\n"
        else:
            term = None
    return blocks


class BashCompletion:
    """Runs the completion function for a command line, in bash."""

    def __init__(self, with_bash_completion):
        self.prelude = ""
        if with_bash_completion:
            self.prelude = ". /usr/share/bash-completion/bash_completion\n"

    def complete(self, line, cwd=None):
        words = line.split(" ")
        function = "_ktriaged" if words[0] == "ktriaged" else "_ktriage"
        script = (self.prelude + '. "$1"\n'
                  'COMP_LINE=$2; COMP_POINT=${#2}; read -ra COMP_WORDS <<<"$2"\n'
                  '[[ $2 == *" " ]] && COMP_WORDS+=("")\n'
                  'COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n'
                  '%s %s "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"\n'
                  'printf "%%s\\n" "${COMPREPLY[@]}"\n' % (function, words[0]))
        result = run("bash", "-c", script, "bash", COMPLETION, line, cwd=cwd)
        if result.returncode != 0:
            raise AssertionError("completing %r: %s" % (line, result.stderr))
        return sorted(w for w in result.stdout.split("\n") if w)

    def options(self, command):
        script = '. "$1"; _ktriage_options "$2"'
        return set(run("bash", "-c", script, "bash", COMPLETION, command).stdout.split())


@unittest.skipUnless(os.path.exists(KTRIAGE), "no ktriage binary at %s" % KTRIAGE)
class TestManPages(unittest.TestCase):
    def test_every_command_and_option_is_documented_and_completed(self):
        scd = read("docs/man/ktriage.1.scd")
        blocks = man_blocks(scd)
        options_section = man_blocks(scd.split("# OPTIONS", 1)[1].split("# EXIT STATUS")[0])
        bash = BashCompletion(False)
        names = commands()
        self.assertGreater(len(names), 10, "ktriage --help lists %r" % names)
        completed_commands = re.search(r"_ktriage_commands='([^']*)'", read(COMPLETION)).group(1).split()
        self.assertEqual(sorted(completed_commands), sorted(names),
                         "the completion's commands differ from ktriage --help's")
        jobs = {}
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            for name in names:
                if name == "sym":  # takes no option: its operands are free text
                    continue
                for option in PROBES:
                    jobs[(name, option)] = pool.submit(accepts, name, option)
        problems = []
        for name in names:
            self.assertIn(name, blocks, "ktriage(1) does not describe the command %s" % name)
            if name == "sym":
                continue
            accepted = {o for o in PROBES if jobs[(name, o)].result()}
            # getopt takes an abbreviation: --state for --state-dir, --all for --all-tasks.
            accepted = {o for o in accepted
                        if not any(p != o and p.startswith(o) for p in accepted)}
            offered = bash.options(name) - {"--help"}
            if accepted != offered:
                problems.append("%s: accepts %s, the completion offers %s"
                                % (name, sorted(accepted), sorted(offered)))
            for option in accepted:
                if option in blocks[name]:
                    continue
                # Common options: OPTIONS names the commands that take them.
                entry = options_section.get(option, "")
                if option == "--btf":
                    entry = options_section.get("--vmlinux", "")
                if "*%s*" % name not in entry and "*%s*" % name not in entry.replace("\n\t", " "):
                    problems.append("%s %s is in neither the command's entry nor OPTIONS"
                                    % (name, option))
        self.assertEqual(problems, [], "\n".join(problems))

    def test_ktriaged_options(self):
        out = run(KTRIAGED, "--help").stdout
        options = set(re.findall(r"--[a-z][a-z-]+", out)) | {"--help", "--version"}
        self.assertIn("--check-config", options)
        page = read("docs/man/ktriaged.8.scd")
        completion = read(COMPLETION).split("_ktriaged()", 1)[1]
        for option in sorted(options):
            self.assertIn("*%s*" % option, page, "ktriaged(8) does not describe %s" % option)
            self.assertIn(option, completion, "the completion does not offer ktriaged %s" % option)

    def test_every_configuration_key(self):
        out = run(KTRIAGED, "--check-config", "--config", os.path.join(TOP, "conf/ktriaged.conf"))
        self.assertEqual(out.returncode, 0, "ktriaged --check-config on conf/ktriaged.conf: "
                         + out.stderr)
        effective, section = {}, None
        for line in out.stdout.splitlines():
            if line.startswith("["):
                section = line.strip("[]")
            elif "=" in line:
                effective.setdefault(section, set()).add(line.split("=")[0].strip())
        page = read("docs/man/ktriaged.conf.5.scd")
        shipped, section = {}, None
        for line in read("conf/ktriaged.conf").splitlines():
            if line.startswith("["):
                section = line.strip("[]")
            elif "=" in line and not line.startswith("#"):
                shipped.setdefault(section, set()).add(line.split("=")[0].strip())
        self.assertEqual(shipped, effective,
                         "conf/ktriaged.conf does not set every key --check-config prints")
        for section, keys in effective.items():
            text = page.split("# [%s]" % section, 1)
            self.assertEqual(len(text), 2, "ktriaged.conf(5) has no section [%s]" % section)
            text = text[1].split("\n# ", 1)[0]
            for key in keys:
                self.assertIn("*%s* =" % key, text,
                              "ktriaged.conf(5) does not describe [%s] %s" % (section, key))

    @unittest.skipUnless(shutil.which("scdoc"), "no scdoc")
    def test_pages_render(self):
        for name in sorted(os.listdir(MAN)):
            with open(os.path.join(MAN, name), "rb") as f:
                result = subprocess.run(["scdoc"], stdin=f, capture_output=True, timeout=60)
            self.assertEqual(result.returncode, 0, "scdoc %s: %s" % (name, result.stderr))
            self.assertIn(b".SH SEE ALSO", result.stdout, name)


class TestCompletion(unittest.TestCase):
    def check(self, bash):
        self.assertEqual(bash.complete("ktriage b"), ["bt"])
        self.assertIn("retriage", bash.complete("ktriage "))
        self.assertIn("--version", bash.complete("ktriage "))
        self.assertEqual(bash.complete("ktriage bt --st"), ["--state"])
        self.assertEqual(bash.complete("ktriage bt dump --state U"), ["UN"])
        self.assertEqual(bash.complete("ktriage list --verdict hung"), ["hung_task"])
        self.assertEqual(bash.complete("ktriage info --"), ["--btf", "--help", "--json", "--vmlinux"])
        self.assertEqual(bash.complete("ktriage locks dump --d"), ["--dot"])
        self.assertEqual(bash.complete("ktriaged --w"), ["--watch", "--workers"])

    def test_without_bash_completion(self):
        bash = BashCompletion(False)
        self.check(bash)
        with tempfile.TemporaryDirectory() as tmp:
            os.mkdir(os.path.join(tmp, "202405021011"))
            open(os.path.join(tmp, "202405021011", "dump.202405021011"), "w").close()
            self.assertEqual(bash.complete("ktriage analyze 202405021011/d", cwd=tmp),
                             ["202405021011/dump.202405021011"])
            # After the dump, sym and bt take symbols and pids: no files.
            self.assertEqual(bash.complete("ktriage sym 202405021011/dump.202405021011 ", cwd=tmp), [])
            self.assertEqual(bash.complete("ktriage list --state-dir 2", cwd=tmp), ["202405021011"])

    @unittest.skipUnless(os.path.exists("/usr/share/bash-completion/bash_completion"),
                         "bash-completion is not installed")
    def test_with_bash_completion(self):
        self.check(BashCompletion(True))


class TestKdumpHooks(unittest.TestCase):
    """The hooks' logic with stubs; test-install.sh runs them for real."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.stubs = os.path.join(self.dir, "stubs")
        os.mkdir(self.stubs)
        self.crash = os.path.join(self.dir, "crash")
        os.mkdir(self.crash)
        self.log = os.path.join(self.dir, "actions")
        stubs = {
            "kdump-config": '. "$KDUMP_DEFAULTS"\n[ -e "$FAIL" ] && exit 1\n'
                            'mkdir -p "$KDUMP_COREDIR/202611232041"\n'
                            ': >"$KDUMP_COREDIR/202611232041/dump.202611232041"\n',
            "ktriage": 'echo "ktriage $*" >>"$LOG"\n',
            "reboot": 'echo "reboot $*" >>"$LOG"\n',
            "fail-cmd": 'echo "fail-cmd $*" >>"$LOG"\n',
        }
        for name, body in stubs.items():
            path = os.path.join(self.stubs, name)
            with open(path, "w") as f:
                f.write("#!/bin/sh\n" + body)
            os.chmod(path, 0o755)
        self.defaults = os.path.join(self.dir, "kdump-tools")
        with open(self.defaults, "w") as f:
            f.write("USE_KDUMP=1\nKDUMP_COREDIR=%s\nKDUMP_FAIL_CMD='%s/fail-cmd now'\n"
                    % (self.crash, self.stubs))
        self.vmcore = os.path.join(self.dir, "vmcore")
        with open(self.vmcore, "w") as f:
            f.write("dump")
        os.mkdir(os.path.join(self.crash, "202401010000"))  # an older dump

    def tearDown(self):
        self.tmp.cleanup()

    def savecore(self, fail=False):
        if fail:
            open(os.path.join(self.dir, "fail"), "w").close()
        env = {"PATH": self.stubs + ":/usr/bin:/bin", "KDUMP_DEFAULTS": self.defaults,
               "KTRIAGE_VMCORE": self.vmcore, "LOG": self.log,
               "FAIL": os.path.join(self.dir, "fail" if fail else "no-such-file")}
        result = run(os.path.join(TOP, "contrib/kdump/kdump-tools-savecore"), env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(self.log) as f:
            return f.read().splitlines(), result.stdout

    def test_kdump_tools_saved_dump_is_notified_then_reboot(self):
        actions, out = self.savecore()
        self.assertEqual(actions, ["ktriage notify %s/202611232041" % self.crash, "reboot -f"],
                         "only the new dump directory, before the reboot; output: " + out)

    def test_kdump_tools_failed_save_runs_fail_command(self):
        actions, _ = self.savecore(fail=True)
        self.assertEqual(actions, ["fail-cmd now"], "no notify and no reboot after a failed save")

    def test_kdump_post_needs_a_successful_dump_on_the_root(self):
        hook = os.path.join(TOP, "contrib/kdump/kdump-post")
        conf = os.path.join(self.dir, "kdump.conf")
        env = {"PATH": "/usr/bin:/bin", "KTRIAGE_KDUMP_ROOT": self.dir, "KDUMP_CONFIG_FILE": conf}
        cases = [("path /crash\n", "1", "the dump failed (status 1)"),
                 ("path /crash\n", "0", "no vmcore under %s/crash" % self.dir),
                 ("xfs /dev/mapper/root\npath /crash\n", "0", "no vmcore under %s/crash" % self.dir),
                 ("ssh kdump@backup\npath /crash\n", "0", "dump target 'ssh kdump@backup' is not local")]
        for conf_text, status, message in cases:
            with open(conf, "w") as f:
                f.write(conf_text)
            result = run(hook, status, env=env)
            self.assertEqual(result.returncode, 0, "kdump-post must never fail kdump")
            self.assertIn(message, result.stderr, "kdump-post %s with %r" % (status, conf_text))


class TestDebianPackaging(unittest.TestCase):
    # Implied by every Debian build (build-essential), so not in Build-Depends.
    IMPLIED = {"build-essential", "make"}

    def test_build_depends_are_bootstrap_build_packages(self):
        deps = set(run(os.path.join(TOP, "bootstrap"), "--list-build").stdout.split())
        everything = set(run(os.path.join(TOP, "bootstrap"), "--list").stdout.split())
        control = read("debian/control")
        field = re.search(r"^Build-Depends:(.*?)^\S", control, re.M | re.S).group(1)
        build_depends = {re.split(r"[\s(<\[]", item.strip())[0]
                         for item in field.split(",") if item.strip()}
        build_depends.discard("debhelper-compat")
        self.assertEqual(build_depends, deps - self.IMPLIED,
                         "debian/control's Build-Depends and bootstrap's BUILD_PACKAGES "
                         "(less %s) differ" % sorted(self.IMPLIED))
        for tool in ("make", "debhelper", "rpm", "rpmlint", "clang", "libclang-rt-dev",
                     "prometheus", "git"):
            self.assertIn(tool, everything, "./bootstrap does not install " + tool)

    # bootstrap's Debian build packages under the names RHEL and Fedora give them.
    RHEL_NAMES = {
        "build-essential": "gcc", "make": "make", "pkg-config": "pkgconfig", "scdoc": "scdoc",
        "libelf-dev": "elfutils-libelf-devel", "libdw-dev": "elfutils-devel",
        "zlib1g-dev": "zlib-devel", "libdeflate-dev": "libdeflate-devel",
        "libzstd-dev": "libzstd-devel", "liblzo2-dev": "lzo-devel",
        "libsnappy-dev": "snappy-devel", "libsystemd-dev": "systemd-devel",
        "libjson-c-dev": "json-c-devel", "libsqlite3-dev": "sqlite-devel",
        "libbpf-dev": "libbpf-devel", "libseccomp-dev": "libseccomp-devel",
        "libinih-dev": "inih-devel", "libssl-dev": "openssl-devel",
        "libcmocka-dev": "libcmocka-devel", "libbz2-dev": "bzip2-devel",
        "liblzma-dev": "xz-devel",
    }

    def test_spec_build_requires_are_bootstrap_build_packages(self):
        deps = run(os.path.join(TOP, "bootstrap"), "--list-build").stdout.split()
        unmapped = [d for d in deps if d not in self.RHEL_NAMES]
        self.assertEqual(unmapped, [], "no RHEL name for these build packages")
        spec = read("rpm/ktriage.spec")
        build_requires = set(re.findall(r"^BuildRequires:\s*(\S+)", spec, re.M))
        build_requires.discard("systemd-rpm-macros")  # the scriptlets' macros
        self.assertEqual(build_requires, {self.RHEL_NAMES[d] for d in deps},
                         "rpm/ktriage.spec's BuildRequires and bootstrap's BUILD_PACKAGES differ")

    def test_spec_version_is_version(self):
        spec = read("rpm/ktriage.spec")
        self.assertEqual(re.search(r"^Version:\s*(\S+)", spec, re.M).group(1),
                         read("VERSION").strip())

    def test_changelog_version_is_version(self):
        first = read("debian/changelog").splitlines()[0]
        self.assertEqual(re.match(r"ktriage \(([^)]+)\)", first).group(1),
                         read("VERSION").strip())


if __name__ == "__main__":
    unittest.main()
