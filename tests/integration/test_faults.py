"""Damaged dumps: truncated at many offsets and with bits flipped in the
kdump header, sub-header, bitmaps, page descriptors and compressed pages.

Every command must end with exit status 0 (a result, partial when so
marked) or 1 with a short error naming the file, within a time bound and
with bounded memory: never a crash, a sanitizer report, a hang or a
balloon.  The mutations come from a fixed seed, so a failure reproduces.
Under AddressSanitizer, allocations above max_allocation_size_mb fail
(return NULL) instead of succeeding, so an absurd size read from a damaged
dump shows up as an error path, not as a machine that swaps.
"""
import os
import random
import shutil
import struct
import subprocess
import tempfile
import time
import unittest

KTRIAGE = os.environ.get("KTRIAGE", "build/ktriage")
SAMPLE = os.environ.get("KT_SAMPLE", "samples/cgroup_deadlock")
VMCORES = os.environ.get("KT_VMCORES", "../shared/vmcores")
SEED = int(os.environ.get("KT_FAULT_SEED", "20261123"))
COMMANDS = (["info"], ["dmesg"], ["ps"], ["bt", "-a"], ["analyze"])
TIME_LIMIT = 60.0          # seconds per command, sanitizers included
RSS_LIMIT_KB = 768 * 1024  # peak RSS per command under ASan (shadow memory included)
ENV = dict(os.environ,
           ASAN_OPTIONS="allocator_may_return_null=1:max_allocation_size_mb=512:detect_leaks=0",
           UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")


def kdump_layout(path):
    """Byte ranges of the parts of a kdump-compressed file."""
    with open(path, "rb") as f:
        head = f.read(464)
        block_size, sub_hdr_size, bitmap_blocks = struct.unpack_from("<iiI", head, 428)
        bitmap = (1 + sub_hdr_size) * block_size
        descs = bitmap + bitmap_blocks * block_size
        f.seek(descs)
        first_data = struct.unpack("<Q", f.read(8))[0]
    size = os.path.getsize(path)
    return {
        "header": (0, 464),
        "sub_header": (block_size, block_size + 104),
        "bitmaps": (bitmap, descs),
        "descriptors": (descs, min(first_data, size)),
        "pages": (min(first_data, size), size),
    }


def mutations(path, rng, per_region, truncations):
    """(name, function writing the damaged copy) pairs."""
    size = os.path.getsize(path)
    layout = kdump_layout(path)
    out = []
    for fraction in sorted(rng.random() for _ in range(truncations)):
        cut = int(size * fraction)
        out.append((f"truncated at {cut}", ("truncate", cut)))
    for region, (lo, hi) in layout.items():
        for _ in range(per_region):
            flips = [(rng.randrange(lo, hi), 1 << rng.randrange(8)) for _ in range(rng.choice((1, 4, 32)))]
            out.append((f"{len(flips)} flips in {region}", ("flip", flips)))
    return out


def make_copy(src, dst, how):
    kind, arg = how
    shutil.copyfile(src, dst)
    with open(dst, "r+b") as f:
        if kind == "truncate":
            f.truncate(arg)
            return
        for offset, bit in arg:
            f.seek(offset)
            byte = f.read(1)[0]
            f.seek(offset)
            f.write(bytes([byte ^ bit]))


def run_measured(args):
    start = time.monotonic()
    proc = subprocess.Popen([KTRIAGE, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=ENV)
    try:
        _, stderr = proc.communicate(timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None, b"", TIME_LIMIT, 0
    elapsed = time.monotonic() - start
    # The child is reaped by communicate(); its rusage is in RUSAGE_CHILDREN,
    # so read peak RSS the portable way: ASan reports are in stderr anyway.
    return proc.returncode, stderr, elapsed, None


class DamagedDumps(unittest.TestCase):
    def check_dump(self, dump, per_region, truncations):
        rng = random.Random(f"{SEED}:{os.path.basename(os.path.dirname(dump))}")
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "vmcore.kdump")
            for name, how in mutations(dump, rng, per_region, truncations):
                make_copy(dump, copy, how)
                for command in COMMANDS:
                    args = [*command, copy]
                    with self.subTest(dump=dump, damage=name, command=command[0]):
                        rc, err, elapsed, _ = self.run_bounded(args)
                        text = err.decode(errors="replace")
                        self.assertIsNotNone(rc, f"{command[0]} hung (> {TIME_LIMIT}s) on {name}")
                        self.assertNotIn("Sanitizer", text, f"{command[0]} on {name}:\n{text[-3000:]}")
                        self.assertNotIn("runtime error", text, f"{command[0]} on {name}:\n{text[-3000:]}")
                        self.assertIn(rc, (0, 1), f"{command[0]} on {name} ended with {rc}:\n{text[-2000:]}")
                        if rc == 1:
                            first = text.splitlines()[0] if text else ""
                            self.assertTrue(first.startswith("ktriage: ") and copy in first,
                                            f"{command[0]} on {name}: error line does not name the file: {first!r}")

    def run_bounded(self, args):
        rc, err, elapsed, _ = run_measured(args)
        return rc, err, elapsed, _

    def test_bundled_sample(self):
        self.check_dump(os.path.join(SAMPLE, "vmcore.kdump"), per_region=4, truncations=8)

    def test_shared_dumps(self):
        if not os.path.isdir(VMCORES):
            self.skipTest(f"{VMCORES} not found: the shared corpus is not on this machine")
        for d in sorted(os.listdir(VMCORES)):
            dump = os.path.join(VMCORES, d, "vmcore.kdump")
            if os.path.exists(dump) and d != os.path.basename(SAMPLE.rstrip("/")):
                self.check_dump(dump, per_region=1, truncations=2)


class PeakMemory(unittest.TestCase):
    """Peak RSS of each command on a damaged dump stays bounded."""

    def test_rss_bounded_on_truncated_sample(self):
        dump = os.path.join(SAMPLE, "vmcore.kdump")
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "vmcore.kdump")
            make_copy(dump, copy, ("truncate", os.path.getsize(dump) * 2 // 3))
            for command in COMMANDS:
                pid = os.fork()
                if pid == 0:
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, 1)
                    os.dup2(devnull, 2)
                    os.execve(KTRIAGE, [KTRIAGE, *command, copy], ENV)
                _, status, usage = os.wait4(pid, 0)
                with self.subTest(command=command[0]):
                    self.assertFalse(os.WIFSIGNALED(status), f"{command[0]} killed by a signal")
                    self.assertLess(usage.ru_maxrss, RSS_LIMIT_KB,
                                    f"{command[0]} peaked at {usage.ru_maxrss} KB")


if __name__ == "__main__":
    unittest.main()
