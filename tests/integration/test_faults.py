"""Damaged dumps: every shared dump, truncated at many offsets and with bits
flipped in the kdump header, sub-header, notes and VMCOREINFO, bitmaps, page
descriptors and compressed pages, and with hostile values written into the
kernel's own structures (the task list, the printk ringbuffer, modules,
per-CPU offsets, page tables) in decoded pages.

Every command must end with exit status 0 (a result, partial when so
marked) or 1 with a one-line error naming the file, within a time bound and
with bounded peak memory: never a crash, a sanitizer report, a hang or a
balloon.  The mutations come from a fixed seed (KT_FAULT_SEED), so a
failure reproduces; KT_FAULT_KEEP=DIR keeps the damaged copies that failed.
Under AddressSanitizer, allocations above max_allocation_size_mb fail
(return NULL) instead of succeeding, so an absurd size read from a damaged
dump shows up as an error path, not as a machine that swaps.

The copies are checked in parallel (KT_FAULT_JOBS, 2 by default): the
whole test is meant to stay within a few minutes of `make check`.
"""
import concurrent.futures
import os
import random
import re
import shutil
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import zlib

KTRIAGE = os.environ.get("KTRIAGE", "build/ktriage")
SAMPLE = os.environ.get("KT_SAMPLE", "samples/cgroup_deadlock")
VMCORES = os.environ.get("KT_VMCORES", "../shared/vmcores")
SEED = int(os.environ.get("KT_FAULT_SEED", "20261123"))
JOBS = int(os.environ.get("KT_FAULT_JOBS", "2"))
KEEP = os.environ.get("KT_FAULT_KEEP")
# Every copy goes through these; each copy also gets one of EXTRA in turn.
COMMANDS = (["info"], ["dmesg"], ["ps"], ["bt", "-a"], ["analyze"])
EXTRA = (["sys"], ["mod", "--all"], ["locks"], ["check"], ["kmem"])
TIME_LIMIT = 30.0          # seconds per command, sanitizers included
RSS_LIMIT_KB = 768 * 1024  # peak RSS per command under ASan (shadow memory included)
ENV = dict(os.environ,
           ASAN_OPTIONS="allocator_may_return_null=1:max_allocation_size_mb=512:detect_leaks=0",
           UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
START_KERNEL_MAP = 0xffffffff80000000
DESC_SIZE = 24
# Kernel variables whose pages get hostile values: lists, rings, tables.
TARGETS = ("init_task", "prb", "printk_rb_static", "_printk_rb_static_descs",
           "_printk_rb_static_infos", "__log_buf", "modules", "__per_cpu_offset",
           "init_top_pgt", "nr_cpu_ids", "page_offset_base", "panic_cpu",
           "cgroup_mutex", "cgroup_threadgroup_rwsem", "init_css_set", "mem_section",
           "node_data", "vm_zone_stat", "tainted_mask", "__start_orc_unwind_ip",
           "__start_BTF")


def available_commands():
    """The commands this ktriage has (analyze may not be built yet)."""
    proc = subprocess.run([KTRIAGE], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, env=ENV)
    return set(re.findall(r"^  (\w+) ", proc.stdout, re.M))


class Kdump:
    """Just enough of a kdump-compressed file to aim damage at its parts."""

    def __init__(self, path):
        self.path = path
        self.size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(464)
            self.block_size, sub_blocks, bitmap_blocks = struct.unpack_from("<iiI", head, 428)
            f.seek(self.block_size)
            sub = f.read(104)
            self.phys_base = struct.unpack_from("<q", sub, 0)[0]
            self.vmcoreinfo = struct.unpack_from("<QQ", sub, 32)
            self.notes = struct.unpack_from("<QQ", sub, 48)
            bitmap = (1 + sub_blocks) * self.block_size
            half = bitmap_blocks * self.block_size // 2
            self.bitmaps = (bitmap, bitmap + 2 * half)
            f.seek(bitmap + half)
            self.bitmap2 = f.read(half)
            self.descs = bitmap + bitmap_blocks * self.block_size
            f.seek(self.descs)
            self.first_data = struct.unpack("<Q", f.read(8))[0]
        self.nr_descs = (min(self.first_data, self.size) - self.descs) // DESC_SIZE

    def regions(self):
        """Byte ranges of the parts of the file."""
        vi_off, vi_size = self.vmcoreinfo
        note_off, note_size = self.notes
        return {
            "header": (0, 464),
            "sub-header": (self.block_size, self.block_size + 104),
            "notes": (note_off, note_off + max(note_size, 1)),
            "VMCOREINFO": (vi_off, vi_off + max(vi_size, 1)),
            "bitmaps": self.bitmaps,
            "descriptors": (self.descs, min(self.first_data, self.size)),
            "pages": (min(self.first_data, self.size), self.size),
        }

    def desc_index(self, pfn):
        """Descriptor of pfn: the dumped pages before it, or None."""
        byte, bit = divmod(pfn, 8)
        if byte >= len(self.bitmap2) or not (self.bitmap2[byte] >> bit) & 1:
            return None
        before = sum(bin(b).count("1") for b in self.bitmap2[:byte])
        return before + bin(self.bitmap2[byte] & ((1 << bit) - 1)).count("1")


def symbols(dump, names):
    """Addresses of kernel variables, from the pristine dump's own kallsyms."""
    proc = subprocess.run([KTRIAGE, "sym", dump, *names], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, env=ENV)
    found = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"([0-9a-f]{16}) \(\w\) (\S+)\+0x0$", line)
        if m and m.group(2) in names and int(m.group(1), 16) >= START_KERNEL_MAP:
            found[m.group(2)] = int(m.group(1), 16)
    return found


def image_pfns(kd, dump):
    """The pfns of the kernel image (text, data, BTF, kallsyms), from
    _stext to _end as the dump's own kallsyms has them."""
    bounds = []
    for name in ("_stext", "_end"):
        proc = subprocess.run([KTRIAGE, "sym", dump, name], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, env=ENV)
        m = re.match(r"([0-9a-f]{16}) ", proc.stdout)
        if not m:
            return None
        bounds.append((int(m.group(1), 16) - START_KERNEL_MAP + kd.phys_base) // kd.block_size)
    return bounds[0] - 512, bounds[1] + 1


def hostile_word(rng, vaddr, page_vaddr, pointer_offsets):
    """What a damaged or crafted structure holds where a pointer should be:
    itself (a list that loops at once), another pointer of the same page
    (a loop through several), a neighbour (a misaligned list head), NULL,
    all ones, poison, a user or unmapped address, random bits."""
    other = page_vaddr + rng.choice(pointer_offsets)
    return rng.choice([vaddr, other, other, vaddr + 8, vaddr - 8, 0, 0xffffffffffffffff,
                       0xdead000000000100, 0x00007fffdeadbeef, 0xffffc9ffffff0000,
                       rng.getrandbits(64), START_KERNEL_MAP])


def mutations(kd, syms, rng, per_region, truncations, memory, scattered=0, image=None):
    """(name, damage) pairs for one dump; damage is applied by make_copy."""
    out = []
    for _ in range(scattered if image else 0):
        pages, words = rng.choice((200, 1500, 4000)), rng.choice((2, 4, 8))
        out.append((f"{words} hostile pointers in each of {pages} pages of kernel data",
                    ("scatter", (pages, words, rng.getrandbits(32), image))))
    for fraction in sorted(rng.random() for _ in range(truncations)):
        cut = int(kd.size * fraction)
        out.append((f"truncated at {cut}", ("truncate", cut)))
    for region, (lo, hi) in kd.regions().items():
        if hi <= lo or lo >= kd.size:
            continue
        for _ in range(per_region):
            flips = [(rng.randrange(lo, min(hi, kd.size)), 1 << rng.randrange(8))
                     for _ in range(rng.choice((1, 4, 32)))]
            out.append((f"{len(flips)} bit flips in the {region}", ("flip", flips)))
    names = sorted(syms)
    for _ in range(memory if names else 0):
        picked = rng.sample(names, min(len(names), rng.choice((1, 2, 4))))
        targets = [(syms[name], rng.choice((1, 4, 16)), rng.getrandbits(32)) for name in picked]
        words = sum(t[1] for t in targets)
        out.append((f"{words} hostile pointers in {', '.join(picked)}", ("memory", targets)))
    return out


def read_page(kd, f, index):
    """The decoded page of descriptor index, or None for another codec."""
    f.seek(kd.descs + index * DESC_SIZE)
    data_off, size, flags = struct.unpack("<QII", f.read(16))
    f.seek(data_off)
    data = f.read(size)
    if flags & 1:
        return bytearray(zlib.decompress(data))
    if flags == 0 and size == kd.block_size:
        return bytearray(data)
    return None


def write_memory(kd, f, targets):
    """In the page at each target variable, replace some of the words that
    hold kernel pointers (list links, ring and table pointers) with hostile
    values; store the changed pages raw at the end of the file and point
    their descriptors there."""
    pages = {}
    for vaddr, count, seed in targets:
        rng = random.Random(seed)
        paddr = vaddr - START_KERNEL_MAP + kd.phys_base
        index = kd.desc_index(paddr // kd.block_size)
        if index is None:
            continue
        if index not in pages:
            pages[index] = read_page(kd, f, index)
        page = pages[index]
        if page is None:
            continue
        start = (paddr % kd.block_size) & ~7
        page_vaddr = vaddr - paddr % kd.block_size
        words = [o for o in range(start, kd.block_size, 8)
                 if struct.unpack_from("<Q", page, o)[0] >> 47 == 0x1ffff]
        if not words:
            words = list(range(start, kd.block_size, 8))
        # The variable's own first word, then others after it in the page.
        chosen = [start] if start in words else []
        rest = [o for o in words if o != start]
        chosen += rng.sample(rest, min(count - len(chosen), len(rest)))
        for offset in chosen:
            struct.pack_into("<Q", page, offset,
                             hostile_word(rng, page_vaddr + offset, page_vaddr, words))
    for index, page in pages.items():
        if page is None:
            continue
        f.seek(0, os.SEEK_END)
        end = f.tell()
        f.write(page)
        f.seek(kd.descs + index * DESC_SIZE)
        f.write(struct.pack("<QII", end, kd.block_size, 0))


def pfns_in_file(kd):
    """The pfn of each page descriptor, in order."""
    return [byte * 8 + bit for byte, b in enumerate(kd.bitmap2) for bit in range(8)
            if (b >> bit) & 1]


def write_scattered(kd, f, pages, words_per_page, seed, image):
    """Outside the kernel image (slab, stacks, page tables, vmalloc: the
    tasks, waiters and modules themselves), in many pages, replace some of
    the words that hold kernel pointers."""
    rng = random.Random(seed)
    lo, hi = image
    candidates = [i for i, pfn in enumerate(pfns_in_file(kd)[:kd.nr_descs])
                  if not lo <= pfn < hi]
    for index in rng.sample(candidates, min(pages, len(candidates))):
        page = read_page(kd, f, index)
        if page is None:
            continue
        words = [o for o in range(0, kd.block_size, 8)
                 if struct.unpack_from("<Q", page, o)[0] >> 47 == 0x1ffff]
        if not words:
            continue
        for offset in rng.sample(words, min(words_per_page, len(words))):
            value = struct.unpack_from("<Q", page, offset)[0]
            value = rng.choice([0, 0xffffffffffffffff, value + 8, value - 8,
                                value ^ (1 << rng.randrange(48)), 0xdead000000000100,
                                rng.getrandbits(64), value & ~0xfff, value + 0x1000])
            struct.pack_into("<Q", page, offset, value & 0xffffffffffffffff)
        f.seek(0, os.SEEK_END)
        end = f.tell()
        f.write(page)
        f.seek(kd.descs + index * DESC_SIZE)
        f.write(struct.pack("<QII", end, kd.block_size, 0))


def make_copy(kd, dst, how):
    kind, arg = how
    shutil.copyfile(kd.path, dst)
    with open(dst, "r+b") as f:
        if kind == "truncate":
            f.truncate(arg)
        elif kind == "flip":
            for offset, bit in arg:
                f.seek(offset)
                byte = f.read(1)[0]
                f.seek(offset)
                f.write(bytes([byte ^ bit]))
        elif kind == "scatter":
            write_scattered(kd, f, *arg)
        else:
            write_memory(kd, f, arg)


def run_measured(args):
    """(exit status or None when it hung, stderr, seconds, peak RSS in KB)."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([KTRIAGE, *args], stdout=subprocess.DEVNULL, stderr=err, env=ENV)
        timer = threading.Timer(TIME_LIMIT, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.monotonic() - start
        err.seek(0)
        text = err.read().decode(errors="replace")
    hung = elapsed >= TIME_LIMIT and os.WIFSIGNALED(status)
    return (None if hung else proc.returncode), text, elapsed, usage.ru_maxrss


def check_copy(kd, name, how, commands, tmp):
    """Run the commands on one damaged copy; a list of what went wrong."""
    copy = os.path.join(tmp, "vmcore.kdump")
    make_copy(kd, copy, how)
    problems = []
    for command in commands:
        rc, text, elapsed, rss = run_measured([*command, copy])
        what = f"{' '.join(command)} on {name}"
        if rc is None:
            problems.append(f"{what}: hung (killed after {TIME_LIMIT:.0f} s)")
        elif "Sanitizer" in text or "runtime error" in text:
            problems.append(f"{what}: sanitizer report:\n{text[-3000:]}")
        elif rc not in (0, 1):
            problems.append(f"{what}: exit status {rc}:\n{text[-2000:]}")
        elif rc == 1 and not (text.startswith("ktriage: ") and copy in text.splitlines()[0]):
            first = text.splitlines()[0] if text else ""
            problems.append(f"{what}: the error does not name the file: {first!r}")
        elif rss > RSS_LIMIT_KB:
            problems.append(f"{what}: peak RSS {rss} KB (limit {RSS_LIMIT_KB})")
    if problems and KEEP:
        os.makedirs(KEEP, exist_ok=True)
        keep = os.path.join(KEEP, f"{os.path.basename(os.path.dirname(kd.path))}-"
                            f"{re.sub(r'[^A-Za-z0-9]+', '-', name)}.kdump")
        shutil.copyfile(copy, keep)
        problems.append(f"(kept as {keep})")
    return problems


class DamagedDumps(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.have = available_commands()
        cls.commands = [c for c in COMMANDS if c[0] in cls.have]
        cls.extra = [c for c in EXTRA if c[0] in cls.have]
        missing = [c[0] for c in COMMANDS + EXTRA if c[0] not in cls.have]
        if missing:
            print(f"\ntest_faults: ktriage has no {', '.join(missing)} yet; not run")

    def plan(self, dump, per_region, truncations, memory, scattered):
        kd = Kdump(dump)
        rng = random.Random(f"{SEED}:{os.path.basename(os.path.dirname(dump))}")
        syms = symbols(dump, TARGETS)
        return kd, mutations(kd, syms, rng, per_region, truncations, memory, scattered,
                             image_pfns(kd, dump))

    def check_dumps(self, plans):
        """Every mutation of every dump, JOBS at a time."""
        jobs = []
        for kd, muts in plans:
            for name, how in muts:
                extra = [self.extra[len(jobs) % len(self.extra)]] if self.extra else []
                jobs.append((kd, name, how, self.commands + extra))
        start = time.monotonic()

        def work(job):
            with tempfile.TemporaryDirectory() as tmp:
                return job, check_copy(*job, tmp)

        with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as pool:
            results = list(pool.map(work, jobs))
        runs = sum(len(job[3]) for job in jobs)
        print(f"\ntest_faults: {len(jobs)} damaged copies, {runs} runs, "
              f"{time.monotonic() - start:.0f} s")
        for (kd, name, how, _), problems in results:
            with self.subTest(dump=kd.path, damage=name):
                self.assertEqual(problems, [], "\n".join(problems))

    def test_sample_and_shared_dumps(self):
        plans = [self.plan(os.path.join(SAMPLE, "vmcore.kdump"), per_region=5,
                           truncations=10, memory=24, scattered=8)]
        if os.path.isdir(VMCORES):
            for d in sorted(os.listdir(VMCORES)):
                dump = os.path.join(VMCORES, d, "vmcore.kdump")
                if os.path.exists(dump) and d != os.path.basename(SAMPLE.rstrip("/")):
                    plans.append(self.plan(dump, per_region=3, truncations=4, memory=12,
                                            scattered=4))
        else:
            print(f"\ntest_faults: {VMCORES} not found: only the bundled sample is damaged")
        self.check_dumps(plans)


class FoundBefore(unittest.TestCase):
    """Damage that once crashed ktriage, kept as it was found."""

    def test_two_cpus_running_tasks_on_no_list(self):
        # Scattered pointer damage on rt_mutex_corrupt left two CPUs running
        # tasks that no list reached: adding the first moved the tasks the
        # address index pointed to, and the second lookup read past it.
        dump = os.path.join(VMCORES, "rt_mutex_corrupt", "vmcore.kdump")
        if not os.path.exists(dump):
            self.skipTest(f"{dump} not found")
        kd = Kdump(dump)
        image = image_pfns(kd, dump)
        self.assertIsNotNone(image, "no _stext/_end in the dump's kallsyms")
        with tempfile.TemporaryDirectory() as tmp:
            problems = check_copy(kd, "scattered damage (seed 1)",
                                  ("scatter", (1500, 4, 1, image)),
                                  [["ps"], ["bt", "-a"]], tmp)
        self.assertEqual(problems, [], "\n".join(problems))


class PeakMemory(unittest.TestCase):
    """Peak RSS of each command on a damaged dump stays bounded."""

    def test_rss_bounded_on_truncated_sample(self):
        dump = os.path.join(SAMPLE, "vmcore.kdump")
        kd = Kdump(dump)
        have = available_commands()
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "vmcore.kdump")
            make_copy(kd, copy, ("truncate", kd.size * 2 // 3))
            for command in COMMANDS + EXTRA:
                if command[0] not in have:
                    continue
                rc, text, elapsed, rss = run_measured([*command, copy])
                with self.subTest(command=command[0]):
                    self.assertIsNotNone(rc, f"{command[0]} hung")
                    self.assertIn(rc, (0, 1), f"{command[0]} ended with {rc}:\n{text[-2000:]}")
                    self.assertLess(rss, RSS_LIMIT_KB, f"{command[0]} peaked at {rss} KB")


if __name__ == "__main__":
    unittest.main()
