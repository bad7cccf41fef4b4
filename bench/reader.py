#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Dump reader benchmark: ktriage next to libkdumpfile, on the same dumps, in one run.

  make bench-reader     (builds bench/*.c, then runs this)

For each dump:
  random   the same list of random present pages read through
           kt_dump_read_phys (bench/ktriage_reads.c) and kdump_read
           (bench/kdumpfile_reads.c): pages per second
  check    `ktriage check` against libkdumpfile reading every present page
           in pfn order and digesting them the same way: pages per second,
           MiB/s of page data, peak RSS; the two digests must agree
Each time is the best of --repeat runs; peak RSS the largest (/usr/bin/time %M).
"""
import argparse
import datetime
import lzma
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time


def measure(args, repeat, tmp):
    """Best wall time, output and peak RSS (KiB) of args over repeat runs.

    Peak RSS comes from /usr/bin/time: a child forked from this Python keeps
    Python's own high-water RSS in ru_maxrss across exec.
    """
    best, rss, out = None, 0, ""
    rss_file = os.path.join(tmp, "rss")
    for _ in range(repeat):
        start = time.monotonic()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file, *args],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        wall = time.monotonic() - start
        if proc.returncode != 0:
            sys.exit("bench: %s failed (%d)" % (" ".join(args), proc.returncode))
        out = proc.stdout
        best = wall if best is None else min(best, wall)
        rss = max(rss, int(open(rss_file).read().split()[-1]))
    return out, best, rss


def inner_seconds(out):
    """The timed loop's own seconds, as the C programs print them."""
    m = re.search(r"seconds ([0-9.]+)", out)
    return float(m.group(1)) if m else None


def prepare_dumps(opts, tmp):
    """(name, path) of each dump to measure, made in tmp where needed."""
    dumps = []
    sysrq = os.path.join(opts.vmcores, "sysrq")
    if os.path.isdir(sysrq):
        dumps.append(("sysrq kdump zlib -d31", os.path.join(sysrq, "vmcore.kdump")))
        elf = os.path.join(tmp, "sysrq.elf")
        with lzma.open(os.path.join(sysrq, "vmcore.elf.xz")) as src, open(elf, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        mdf = shutil.which("makedumpfile")
        if mdf:
            lzo = os.path.join(tmp, "sysrq-l-d0.kdump")
            subprocess.run([mdf, "-l", "-d", "0", elf, lzo], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            dumps.append(("sysrq kdump lzo -d0", lzo))
        dumps.append(("sysrq QEMU ELF", elf))
    if opts.mkvmcore and os.path.exists(opts.mkvmcore):
        zstd = os.path.join(tmp, "synthetic-zstd.kdump")
        subprocess.run([opts.mkvmcore, "--max-pfn", "65536", "--compress", "zstd", zstd],
                       check=True)
        dumps.append(("synthetic kdump zstd", zstd))
    return dumps


def bench_dump(opts, name, path, tmp):
    kt_reads = os.path.join(opts.bin, "ktriage_reads")
    kd_reads = os.path.join(opts.bin, "kdumpfile_reads")
    pfns = subprocess.run([kt_reads, path, "pfns"], stdout=subprocess.PIPE, text=True,
                          check=True).stdout.split()
    all_list = os.path.join(tmp, "all.pfns")
    with open(all_list, "w") as f:
        f.write("\n".join(pfns) + "\n")
    rng = random.Random(1)
    random_list = os.path.join(tmp, "random.pfns")
    with open(random_list, "w") as f:
        f.write("\n".join(rng.choice(pfns) for _ in range(opts.reads)) + "\n")
    rows = []
    for tool, args in (("ktriage", [kt_reads, path, "random", random_list]),
                       ("libkdumpfile", [kd_reads, path, "random", random_list])):
        out, _, rss = measure(args, opts.repeat, tmp)
        rows.append((tool, "random", opts.reads / inner_seconds(out), rss))
    out, wall, rss = measure([opts.ktriage, "check", path], opts.repeat, tmp)
    kt_digest = re.search(r"sha256:([0-9a-f]+)", out).group(1)
    seq = [("ktriage", "check", wall, rss)]
    out, wall, rss = measure([kd_reads, path, "all", all_list], opts.repeat, tmp)
    kd_digest = re.search(r"digest ([0-9a-f]+)", out).group(1)
    seq.append(("libkdumpfile", "check", wall, rss))
    return len(pfns), rows, seq, kt_digest == kd_digest


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ktriage", default=os.path.join(root, "build", "ktriage"))
    p.add_argument("--bin", default=os.path.join(root, "build", "bench"))
    p.add_argument("--mkvmcore", default=os.path.join(root, "build", "tests", "mkvmcore"))
    p.add_argument("--vmcores", default=os.path.join(root, "..", "shared", "vmcores"))
    p.add_argument("--reads", type=int, default=50000)
    p.add_argument("--repeat", type=int, default=3)
    opts = p.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    print("# dump reader benchmark, %s" % datetime.date.today().isoformat())
    print("machine: %d CPUs (nproc), %s; %s" % (os.cpu_count(), cpu, platform.platform()))
    print("random: %d random reads of present pages (same list for both);"
          " check: every present page in pfn order + sha256; best of %d runs\n"
          % (opts.reads, opts.repeat))
    print("| dump | pages | tool | random reads/s | random peak RSS | check s | check pages/s "
          "| check MiB/s | check peak RSS | digests agree |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory(prefix="kt-bench-") as tmp:
        for name, path in prepare_dumps(opts, tmp):
            pages, rows, seq, agree = bench_dump(opts, name, path, tmp)
            for (tool, _, rate, rrss), (_, _, wall, crss) in zip(rows, seq):
                print("| %s | %d | %s | %.0f | %.1f MiB | %.2f | %.0f | %.0f | %.1f MiB | %s |" % (
                    name, pages, tool, rate, rrss / 1024, wall, pages / wall,
                    pages * 4096 / wall / (1 << 20), crss / 1024, "yes" if agree else "NO"))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
