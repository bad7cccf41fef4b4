# SPDX-License-Identifier: MIT
"""Hostile inputs, made here, each ending in a result or a one-line error in
under 2 s and 64 MB (the README's hostile-input table shows the figures).

Each input is a file anyone with a bug can leave in /var/crash:
  - a KDUMP header over a sparse 1 TiB file (the bitmaps claim 2^41 pages);
  - an ELF core with 65,534 overlapping PT_LOAD segments;
  - a flattened stream of 4 Mi one-byte records;
  - a 256 MB text log;
and `ktriage analyze` runs on it.  CPU time (user + system: a shared machine's
load does not move it) and peak memory (ru_maxrss) are measured on the
optimised build (KT_RELEASE_KTRIAGE, default build/ktriage),
since the sanitizers' shadow memory is not the program's.  The printk ring
sized to 256 MB is the log reader's case: tests/unit/test_log.c builds it in
a synthetic kernel image.

KT_HOSTILE_REPORT=FILE appends a line per run: input, command, CPU seconds,
wall seconds, MB, outcome.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KTRIAGE = os.environ.get("KT_RELEASE_KTRIAGE", os.path.join(ROOT, "build", "ktriage"))
SECONDS = 2.0
MEGABYTES = 64


# The command runs as the grandchild of a small, freshly exec'd launcher: a
# process forked from this (large) test runner would inherit the runner's
# resident set into its peak (Linux keeps the old mm's high-water mark across
# exec), so wait4 here would measure the runner, not ktriage.
LAUNCHER = r"""
import os, sys, time
report, timeout, args = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
pid = os.fork()
if pid == 0:
    os.execv(args[0], args)
deadline = time.monotonic() + timeout
while True:
    done, status, usage = os.wait4(pid, os.WNOHANG)
    if done:
        break
    if time.monotonic() > deadline:
        os.kill(pid, 9)
        done, status, usage = os.wait4(pid, 0)
        break
    time.sleep(0.005)
with open(report, "w") as f:
    f.write("%d %r %r" % (os.waitstatus_to_exitcode(status),
                          usage.ru_utime + usage.ru_stime, usage.ru_maxrss))
"""


def run_measured(args, timeout=60):
    """(exit status, stdout, stderr, CPU seconds, peak RSS in MB, wall seconds)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
         tempfile.NamedTemporaryFile(mode="r") as report:
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", LAUNCHER, report.name, str(timeout)] + args,
                       stdout=out, stderr=err, timeout=timeout + 30, check=False)
        wall = time.monotonic() - start
        status, seconds, maxrss_kb = report.read().split()
        out.seek(0)
        err.seek(0)
        return (int(status), out.read().decode(errors="replace"),
                err.read().decode(errors="replace"), float(seconds),
                int(maxrss_kb) / 1024.0, wall)


def write_kdump_sparse(path):
    """A KDUMP header whose bitmaps claim 512 GiB, the file sparse to 1 TiB."""
    block = 4096
    half_blocks = 1 << 26                 # each bitmap: 256 GiB
    header = bytearray(block)
    header[0:8] = b"KDUMP   "
    struct.pack_into("<i", header, 8, 6)  # header_version
    header[12 + 2 * 65:12 + 2 * 65 + 6] = b"6.1.0-"
    header[12 + 4 * 65:12 + 4 * 65 + 6] = b"x86_64"
    struct.pack_into("<iiIII", header, 424, 0, block, 1, 2 * half_blocks, 0xffffffff)
    sub = bytearray(block)
    struct.pack_into("<Q", sub, 96, half_blocks * block * 8)  # max_mapnr_64: 2^41 pages
    with open(path, "wb") as f:
        f.write(header)
        f.write(sub)
        f.truncate(1 << 40)


def write_elf_overlapping(path, count=65534):
    """ELF64 core: count PT_LOADs, every one over the same 64 MiB at paddr 0."""
    phoff = 64
    data_off = phoff + count * 56
    data_off = (data_off + 4095) & ~4095
    size = 64 << 20
    ehdr = struct.pack("<4sBBBBB7xHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0,
                       4, 62, 1, 0, phoff, 0, 0, 64, 56, count, 0, 0, 0)
    phdr = struct.pack("<IIQQQQQQ", 1, 4, data_off, 0xffff888000000000, 0, size, size, 4096)
    with open(path, "wb") as f:
        f.write(ehdr)
        f.write(phdr * count)
        f.truncate(data_off + size)


def write_flattened_tiny(path, records=4 << 20):
    """makedumpfile's flattened format, every record one byte of a KDUMP file."""
    header = bytearray(4096)
    header[0:12] = b"makedumpfile"
    struct.pack_into(">qq", header, 16, 1, 1)
    signature = b"KDUMP   "
    with open(path, "wb") as f:
        f.write(header)
        chunk = bytearray()
        for i in range(records):
            chunk += struct.pack(">qqB", i, 1, signature[i] if i < 8 else 0)
            if len(chunk) > 1 << 20:
                f.write(chunk)
                chunk = bytearray()
        f.write(chunk)
        f.write(struct.pack(">qq", -1, -1))


def write_text_log(path, size=256 << 20):
    """A kernel log of 256 MB: timestamps, a soft lockup at the end."""
    line = b"[%12.6f] usb 1-1: new high-speed USB device number 2 using xhci_hcd\n"
    block = b"".join(line % (i / 1000.0) for i in range(8192))
    with open(path, "wb") as f:
        while f.tell() < size:
            f.write(block)
        f.write(b"[99999.000000] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [kworker/1:1:42]\n")
        f.write(b"[99999.000001] Kernel panic - not syncing: softlockup: hung tasks\n")


CASES = [
    ("kdump header over a sparse 1 TiB file", "sparse.kdump", write_kdump_sparse),
    ("ELF core, 65,534 overlapping PT_LOADs", "overlap.elf", write_elf_overlapping),
    ("flattened stream of 4 Mi 1-byte records", "tiny.flat", write_flattened_tiny),
    ("256 MB text log", "huge-dmesg.txt", write_text_log),
]


@unittest.skipUnless(os.path.exists(KTRIAGE), "no optimised build at %s (make all)" % KTRIAGE)
class HostileInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="kt-hostile-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def check_case(self, title, name, make, commands=("analyze", "info", "check")):
        """Every command on the input: bounded, and a result or one error line."""
        path = os.path.join(self.dir, name)
        make(path)
        results = {}
        try:
            for command in commands:
                results[command] = self.check_command(title, command, path)
        finally:
            os.unlink(path)
        return results

    def check_command(self, title, command, path):
        status, out, err, seconds, mb, wall = run_measured([KTRIAGE, command, path])
        what = "%s, ktriage %s" % (title, command)
        outcome = ("error: " + err.strip()) if status else "result: " + out.splitlines()[0]
        report = os.environ.get("KT_HOSTILE_REPORT")
        if report:
            with open(report, "a") as f:
                f.write("%s\t%s\t%.2f\t%.2f\t%.1f\t%s\n" % (title, command, seconds, wall,
                                                           mb, outcome[:160]))
        self.assertLess(seconds, SECONDS, "%s: %.2f s of CPU" % (what, seconds))
        self.assertLess(mb, MEGABYTES, "%s: %.1f MB" % (what, mb))
        self.assertTrue(0 <= status < 128, "%s: exit %d:\n%s" % (what, status, err[-2000:]))
        if status:
            self.assertEqual(len(err.strip().splitlines()), 1,
                             "%s: not a one-line error:\n%s" % (what, err[-2000:]))
        return status, out, err

    def test_kdump_header_over_a_sparse_file(self):
        self.check_case(*CASES[0])

    def test_elf_with_overlapping_segments(self):
        self.check_case(*CASES[1])

    def test_flattened_stream_of_tiny_records(self):
        for status, out, err in self.check_case(*CASES[2]).values():
            self.assertIn("records in a flattened stream", err)

    def test_huge_text_log(self):
        status, out, err = self.check_case(*CASES[3], commands=("analyze",))["analyze"]
        self.assertEqual(status, 0, err)
        self.assertIn("soft_lockup", out)
        self.assertIn("were not read", out, "the note that the log was cut")


if __name__ == "__main__":
    unittest.main()
