# SPDX-License-Identifier: MIT
"""The dump reader through the real `ktriage info` and `ktriage check`.

Environment (set by `make integration`):
  KTRIAGE       the ktriage binary
  KT_TESTS_BIN  the directory of the test binaries (mkvmcore, the fixture writer)
  KT_SAMPLE     the bundled sample dump's directory (always there)
  KT_VMCORES    the shared corpus of real dumps; its tests are skipped without it

Digests skip zero pages and cover (pfn, contents) in pfn order, so two
formats of the same memory digest equal.  makedumpfile -E at -d 31 keeps a
different page set than kdump -d 31, so ELF is compared at -d 0/-d 1 only,
and over the kdump's pfn range (QEMU's ELF also maps the BIOS at
0xfffc0000, above the kdump's max_mapnr).
"""
import json
import lzma
import os
import random
import re
import shutil
import struct
import subprocess
import tempfile
import unittest

KTRIAGE = os.environ.get("KTRIAGE", "build/ktriage")
TESTS_BIN = os.environ.get("KT_TESTS_BIN", "build/tests")
MKVMCORE = os.path.join(TESTS_BIN, "mkvmcore")
SAMPLE = os.environ.get("KT_SAMPLE", "samples/cgroup_deadlock")
VMCORES = os.environ.get("KT_VMCORES", "")
MAKEDUMPFILE = shutil.which("makedumpfile") or (
    "/usr/sbin/makedumpfile" if os.path.exists("/usr/sbin/makedumpfile") else None)


def makedumpfile_has(codec):
    """Debian's makedumpfile 1.7.2 is built without snappy and zstd: its
    -p then writes uncompressed pages without a word."""
    proc = subprocess.run([MAKEDUMPFILE, "-v"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    return re.search(r"^%s\s+enabled" % codec, proc.stdout, re.M) is not None


HAVE_VMCORES = bool(VMCORES) and os.path.isdir(VMCORES)
SKIP_VMCORES = "KT_VMCORES=%r does not exist: shared dumps not tested" % VMCORES


def run(*args, check=True):
    proc = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError("%s exited %d:\n%s" % (" ".join(args), proc.returncode,
                                                     proc.stderr[-2000:]))
    return proc


def load_json(path):
    with open(path) as f:
        return json.load(f)


def info(path):
    return json.loads(run(KTRIAGE, "info", "--json", path).stdout)


def check(*paths, pfns=None):
    args = [KTRIAGE, "check", "--json"] + (["--pfns", pfns] if pfns else []) + list(paths)
    return json.loads(run(*args).stdout)


def first_missing_pfn(*paths):
    """The lowest pfn `check` could not read: the first error line names it."""
    proc = run(KTRIAGE, "check", *paths)
    m = re.search(r": page 0x([0-9a-f]+):", proc.stderr)
    return int(m.group(1), 16) if m else None


def mkvmcore(path, *args):
    run(MKVMCORE, *args, path)
    return path


def expected_digest(*args, pfns="0-18446744073709551615"):
    with tempfile.TemporaryDirectory() as tmp:
        return run(MKVMCORE, *args, "--digest", pfns, os.path.join(tmp, "x")).stdout.strip()


def kdump_descs_off(path):
    """Where the page descriptors start, from the kdump header."""
    with open(path, "rb") as f:
        head = f.read(464)
    block_size, sub_hdr_size, bitmap_blocks = struct.unpack_from("<iiI", head, 428)
    return block_size * (1 + sub_hdr_size + bitmap_blocks)


def assert_survivors_read(test, damaged, intact, damaged_info=None):
    """Every surviving page of a damaged copy reads as in the intact dump."""
    got = check(damaged)
    test.assertEqual(got["pages_bad"], 0, damaged)
    test.assertGreater(got["pages_missing"], 0, damaged)
    test.assertEqual(got["pages_ok"] + got["pages_missing"], got["pages_present"], damaged)
    if damaged_info is not None:
        test.assertEqual(got["pages_missing"], damaged_info["pages_missing"], damaged)
        test.assertEqual(got["pages_present"], damaged_info["pages_present"], damaged)
    first = first_missing_pfn(damaged)
    test.assertIsNotNone(first, "no missing page named on stderr for %s" % damaged)
    if first > 0:
        survivors = "0-%d" % first
        test.assertEqual(check(damaged, pfns=survivors)["digest"],
                         check(intact, pfns=survivors)["digest"],
                         "%s: pages below 0x%x differ from the intact dump" % (damaged, first))


class ErrorLines(unittest.TestCase):
    """Failures are one line naming the file, exit 1; bad usage exits 2."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kt-int-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def expect_failure(self, path, command="info"):
        proc = run(KTRIAGE, command, path, check=False)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertIn(path, lines[0])
        self.assertEqual(proc.stdout, "")

    def test_garbage_empty_directory_nonexistent(self):
        garbage = os.path.join(self.tmp, "garbage")
        with open(garbage, "wb") as f:
            f.write(bytes(random.Random(1).randrange(256) for _ in range(100000)))
        empty = os.path.join(self.tmp, "empty")
        open(empty, "wb").close()
        for command in ("info", "check"):
            for path in (garbage, empty, self.tmp, os.path.join(self.tmp, "nonexistent")):
                with self.subTest(command=command, path=path):
                    self.expect_failure(path, command)

    def test_bad_usage_exits_2(self):
        dump = os.path.join(SAMPLE, "vmcore.kdump")
        for args in (["info"], ["check"], ["info", dump, dump], ["check", "--bogus", dump],
                     ["check", "--pfns", "9-3", dump], ["check", "--pfns", "x", dump],
                     ["check", "--pfns", "1", dump], ["no-such-command"], []):
            with self.subTest(args=args):
                proc = run(KTRIAGE, *args, check=False)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertTrue(proc.stderr.strip())


class Sample(unittest.TestCase):
    """The bundled sample, which every clone has."""

    def test_identified_as_its_manifest_says_and_intact(self):
        assert_identified(self, os.path.join(SAMPLE, "vmcore.kdump"),
                          load_json(os.path.join(SAMPLE, "manifest.json")))
        assert_intact(self, os.path.join(SAMPLE, "vmcore.kdump"))


def assert_identified(test, path, manifest):
    got = info(path)
    test.assertEqual(got["format"], manifest["format"], path)
    test.assertEqual(got["compression"], manifest["compression"], path)
    test.assertEqual(got["osrelease"], manifest["kernel_release"], path)
    test.assertEqual(got["build_id"], manifest["build_id"], path)
    test.assertEqual(got["cpus"], manifest["cpus"], path)
    if "dump_level" in manifest and got["format"] != "elf":
        test.assertEqual(got["dump_level"], manifest["dump_level"], path)
    if "page_size" in manifest:
        test.assertEqual(got["page_size"], manifest["page_size"], path)
    test.assertTrue(got["complete"], path)
    return got


def assert_intact(test, *paths):
    got = check(*paths)
    test.assertEqual(got["pages_bad"], 0, paths)
    test.assertEqual(got["pages_missing"], 0, paths)
    test.assertEqual(got["pages_ok"], got["pages_present"], paths)
    test.assertGreater(got["pages_ok"], 0, paths)
    return got


class Fixtures(unittest.TestCase):
    """Synthetic dumps from the fixture writer: every header version, zstd,
    split sets, flattened streams, damage."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kt-int-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def path(self, name):
        return os.path.join(self.tmp, name)

    SPEC = ["--max-pfn", "2048", "--exclude-every", "9", "--zero-every", "11",
            "--hole", "500-700"]

    def test_every_header_version_and_codec(self):
        for version in range(1, 7):
            for codec in ("none", "zlib", "lzo", "snappy", "zstd", "zstd,lzo,zlib,snappy"):
                with self.subTest(version=version, codec=codec):
                    spec = self.SPEC + ["--header-version", str(version), "--compress", codec]
                    dump = mkvmcore(self.path("v.kdump"), *spec)
                    got = info(dump)
                    self.assertEqual(got["format"], "kdump")
                    self.assertEqual(got["header_version"], version)
                    want = {"zstd,lzo,zlib,snappy": "zlib,lzo,snappy,zstd"}
                    self.assertEqual(got["compression"], want.get(codec, codec))
                    if version >= 3:
                        self.assertEqual(got["osrelease"], "6.1.0-fixture")
                        self.assertEqual(got["build_id"], "00112233445566778899aabbccddeeff00112233")
                    self.assertEqual(got["cpus"], 2)
                    self.assertEqual(assert_intact(self, dump)["digest"], expected_digest(*spec))

    def test_flattened_kdump_and_elf(self):
        spec = self.SPEC + ["--compress", "zstd"]
        plain = mkvmcore(self.path("plain.kdump"), *spec)
        flat = mkvmcore(self.path("flat.kdump"), *spec, "-F")
        elf = mkvmcore(self.path("core.elf"), *spec, "--format", "elf")
        flat_elf = mkvmcore(self.path("flat.elf"), *spec, "--format", "elf", "-F")
        self.assertEqual((info(flat)["format"], info(flat)["contents"]), ("flattened", "kdump"))
        self.assertEqual((info(flat_elf)["format"], info(flat_elf)["contents"]), ("flattened", "elf"))
        self.assertEqual(info(elf)["format"], "elf")
        want = expected_digest(*spec)
        for dump in (plain, flat, elf, flat_elf):
            with self.subTest(dump=dump):
                self.assertEqual(assert_intact(self, dump)["digest"], want)

    def test_split_set_equals_whole(self):
        spec = self.SPEC + ["--compress", "zstd"]
        whole = mkvmcore(self.path("whole"), *spec)
        bounds = [(0, 300), (300, 1500), (1500, 2048)]
        parts = [mkvmcore(self.path("part%d" % i), *spec, "--split", "%d-%d" % b)
                 for i, b in enumerate(bounds)]
        for part, (start, end) in zip(parts, bounds):
            got = info(part)
            self.assertTrue(got["split"])
            self.assertEqual((got["split_start_pfn"], got["split_end_pfn"]), (start, end))
        shuffled = [parts[2], parts[0], parts[1]]
        self.assertEqual(check(*shuffled)["digest"], check(whole)["digest"])
        self.assertEqual(check(*shuffled, pfns="250-1600")["digest"],
                         check(whole, pfns="250-1600")["digest"])
        proc = run(KTRIAGE, "check", parts[0], parts[2], check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("in no part of the split set", proc.stderr)

    def test_pfn_range_limits_the_digest(self):
        spec = self.SPEC + ["--compress", "lzo"]
        dump = mkvmcore(self.path("d.kdump"), *spec)
        for pfns in ("0-1", "100-900", "0x100-0x7ff", "1000-", "2047-4096"):
            with self.subTest(pfns=pfns):
                lo, _, hi = pfns.partition("-")
                want = expected_digest(*spec, pfns="%d-%d" % (int(lo, 0), int(hi, 0) if hi else 1 << 62))
                self.assertEqual(check(dump, pfns=pfns)["digest"], want)

    def test_incomplete_fixture(self):
        spec = self.SPEC + ["--compress", "snappy", "--incomplete", "200"]
        dump = mkvmcore(self.path("inc.kdump"), *spec)
        intact = mkvmcore(self.path("intact.kdump"), *spec[:-2])
        got = info(dump)
        self.assertTrue(got["incomplete"])
        self.assertFalse(got["complete"])
        self.assertEqual(got["pages_missing"], 200)
        assert_survivors_read(self, dump, intact, got)
        self.assertEqual(check(dump)["digest"], expected_digest(*spec))

    def test_truncated_fixtures(self):
        spec = self.SPEC + ["--compress", "zlib"]
        for flat in (False, True):
            intact = mkvmcore(self.path("intact"), *spec, *(["-F"] if flat else []))
            layout = json.loads(run(MKVMCORE, *spec, "--layout", self.path("x")).stdout)
            size = os.path.getsize(intact)
            cuts = [layout["descs_off"] + 24 * 100 + 7, size // 2, size - 100]
            for cut in cuts:
                with self.subTest(flat=flat, cut=cut):
                    damaged = self.path("cut")
                    shutil.copyfile(intact, damaged)
                    os.truncate(damaged, cut)
                    got = info(damaged)
                    self.assertTrue(got["truncated"])
                    self.assertFalse(got["complete"])
                    assert_survivors_read(self, damaged, intact, got)


@unittest.skipUnless(HAVE_VMCORES, SKIP_VMCORES)
class SharedDumps(unittest.TestCase):
    """Every real dump in KT_VMCORES, and sysrq's ELF."""

    def dumps(self):
        for name in sorted(os.listdir(VMCORES)):
            manifest = os.path.join(VMCORES, name, "manifest.json")
            dump = os.path.join(VMCORES, name, "vmcore.kdump")
            if os.path.exists(manifest) and os.path.exists(dump):
                yield name, dump, load_json(manifest)

    def test_every_dump_identified_as_its_manifest_says(self):
        names = []
        for name, dump, manifest in self.dumps():
            with self.subTest(dump=name):
                assert_identified(self, dump, manifest)
                names.append(name)
        self.assertTrue(names, "no dumps in %s" % VMCORES)

    def test_every_intact_dump_has_no_bad_pages(self):
        for name, dump, _ in self.dumps():
            with self.subTest(dump=name):
                got = assert_intact(self, dump)
                self.assertEqual(got["pages_present"], info(dump)["pages_present"])

    def test_sysrq_elf_identified(self):
        elf = SysrqFormats.elf_copy()
        manifest = load_json(os.path.join(VMCORES, "sysrq", "manifest.json"))
        got = info(elf)
        self.assertEqual(got["format"], "elf")
        self.assertEqual(got["compression"], "none")
        self.assertEqual(got["osrelease"], manifest["kernel_release"])
        self.assertEqual(got["build_id"], manifest["build_id"])
        self.assertEqual(got["cpus"], manifest["cpus"])
        assert_intact(self, elf)


@unittest.skipUnless(HAVE_VMCORES, SKIP_VMCORES)
@unittest.skipUnless(MAKEDUMPFILE, "makedumpfile is not installed")
class SysrqFormats(unittest.TestCase):
    """Each format makedumpfile writes from the sysrq ELF digests the same."""

    tmp = None

    @classmethod
    def elf_copy(cls):
        """sysrq's vmcore.elf.xz, decompressed once for the whole run."""
        if cls.tmp is None:
            cls.tmp = tempfile.mkdtemp(prefix="kt-sysrq-")
        elf = os.path.join(cls.tmp, "vmcore.elf")
        if not os.path.exists(elf):
            with lzma.open(os.path.join(VMCORES, "sysrq", "vmcore.elf.xz")) as src, \
                    open(elf + ".part", "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            os.rename(elf + ".part", elf)
        return elf

    @classmethod
    def make(cls, name, *options):
        """makedumpfile OPTIONS ELF NAME, once per run; -F goes to stdout."""
        out = os.path.join(cls.tmp, name)
        if os.path.exists(out):
            return out
        elf = cls.elf_copy()
        if "-F" in options:
            with open(out, "wb") as f:
                subprocess.run([MAKEDUMPFILE, *options, elf], stdout=f,
                               stderr=subprocess.DEVNULL, check=True)
        else:
            subprocess.run([MAKEDUMPFILE, *options, elf, out], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
        return out

    @classmethod
    def tearDownClass(cls):
        if cls.tmp:
            shutil.rmtree(cls.tmp)
            cls.tmp = None

    def setUp(self):
        self.elf_copy()

    def test_kdump_codecs_and_flattened_digest_equal(self):
        made = {
            "zlib": self.make("c31", "-c", "-d", "31"),
            "lzo": self.make("l31", "-l", "-d", "31"),
            "snappy": self.make("p31", "-p", "-d", "31"),
            "flattened": self.make("F31", "-F", "-c", "-d", "31"),
        }
        digests = {}
        for what, dump in made.items():
            got = info(dump)
            if what == "flattened":
                self.assertEqual((got["format"], got["contents"]), ("flattened", "kdump"))
            else:
                want = what if what != "snappy" or makedumpfile_has("snappy") else "none"
                self.assertEqual((got["format"], got["compression"]), ("kdump", want))
            self.assertEqual(got["dump_level"], 31)
            digests[what] = assert_intact(self, dump)["digest"]
        self.assertEqual(len(set(digests.values())), 1, digests)
        shared = os.path.join(VMCORES, "sysrq", "vmcore.kdump")
        self.assertEqual(check(shared)["digest"], digests["zlib"])

    def test_elf_and_kdump_agree_at_low_dump_levels(self):
        for level in ("0", "1"):
            with self.subTest(dump_level=level):
                kdump = self.make("c" + level, "-c", "-d", level)
                elf = self.make("E" + level, "-E", "-d", level)
                flat_elf = self.make("EF" + level, "-E", "-F", "-d", level)
                pfns = "0-%d" % info(kdump)["max_pfn"]
                want = check(kdump, pfns=pfns)["digest"]
                self.assertEqual(info(flat_elf)["contents"], "elf")
                for dump in (elf, flat_elf):
                    self.assertEqual(check(dump, pfns=pfns)["digest"], want, dump)
                if level == "0":  # -d 0 keeps every page: the QEMU ELF itself agrees
                    self.assertEqual(check(self.elf_copy(), pfns=pfns)["digest"], want)

    def test_split_set_digest_equals_unsplit(self):
        # The default split block (1 GiB) is larger than this 256 MiB guest:
        # without a small one, the first part gets every page.
        names = ["s1", "s2", "s3"]
        parts = [os.path.join(self.tmp, n) for n in names]
        if not all(os.path.exists(p) for p in parts):
            subprocess.run([MAKEDUMPFILE, "-c", "-d", "31", "--split", "--splitblock-size",
                            "1024", self.elf_copy(), *parts], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
        whole = self.make("c31", "-c", "-d", "31")
        ranges = []
        for part in parts:
            got = info(part)
            self.assertTrue(got["split"], part)
            ranges.append((got["split_start_pfn"], got["split_end_pfn"]))
        self.assertEqual(ranges[0][0], 0)
        self.assertEqual(ranges[-1][1], info(whole)["max_pfn"])
        for (_, end), (start, _) in zip(ranges, ranges[1:]):
            self.assertEqual(end, start)
        self.assertTrue(all(start < end for start, end in ranges), ranges)
        got = assert_intact(self, parts[1], parts[2], parts[0])
        self.assertEqual(got["digest"], check(whole)["digest"])
        self.assertEqual(got["pages_present"], info(whole)["pages_present"])

    def test_truncated_copies_keep_their_survivors(self):
        for name, options in (("c31", ("-c", "-d", "31")), ("F31", ("-F", "-c", "-d", "31"))):
            intact = self.make(name, *options)
            size = os.path.getsize(intact)
            cuts = [size // 4, size // 2, size - 5000]
            if name == "c31":
                cuts.append(kdump_descs_off(intact) + 24 * 5000 + 11)  # in the descriptors
            for cut in cuts:
                with self.subTest(dump=name, cut=cut):
                    damaged = os.path.join(self.tmp, "cut")
                    shutil.copyfile(intact, damaged)
                    os.truncate(damaged, cut)
                    got = info(damaged)
                    self.assertTrue(got["truncated"], got)
                    self.assertFalse(got["incomplete"])
                    assert_survivors_read(self, damaged, intact, got)

    def test_incomplete_when_makedumpfile_runs_out_of_space(self):
        intact = self.make("c31", "-c", "-d", "31")
        damaged = os.path.join(self.tmp, "incomplete")
        if not self.makedumpfile_into_small_fs(damaged):
            # No private mount namespace here (not root, no unshare): the
            # fixture writer's incomplete mode stands in (Fixtures tests it).
            self.skipTest("cannot mount a small tmpfs; see Fixtures.test_incomplete_fixture")
        got = info(damaged)
        self.assertTrue(got["incomplete"], got)
        self.assertFalse(got["complete"])
        self.assertGreater(got["pages_missing"], 0)
        assert_survivors_read(self, damaged, intact, got)

    def makedumpfile_into_small_fs(self, out):
        """makedumpfile writing into an 8 MiB tmpfs in a private mount namespace."""
        unshare = shutil.which("unshare")
        if not unshare or os.geteuid() != 0:
            return False
        mnt = tempfile.mkdtemp(prefix="kt-small-", dir=self.tmp)
        script = ('mount -t tmpfs -o size=8m kt-small "$1" || exit 99; '
                  '"$2" -c -d 31 "$3" "$1/out" >/dev/null 2>&1; cp "$1/out" "$4"')
        proc = subprocess.run([unshare, "-m", "sh", "-c", script, "sh", mnt, MAKEDUMPFILE,
                               self.elf_copy(), out], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        return proc.returncode == 0 and os.path.exists(out)


def tearDownModule():
    SysrqFormats.tearDownClass()


if __name__ == "__main__":
    unittest.main()
