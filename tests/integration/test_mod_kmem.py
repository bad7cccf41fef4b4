# SPDX-License-Identifier: MIT
"""ktriage mod, kmem and module symbols against crash and drgn (full debuginfo).

mod: crash-ref/mod_-t.txt (crash's `mod -t`: NAME TAINTS, or "no tainted
modules"), line for line; --all --json names every module drgn-ref/meta.json
lists.

kmem: crash-ref/kmem_-i.txt, every row's page count and the whole table.  All
fourteen rows agree on these dumps, but three are not what /proc/meminfo
says, because crash 8.0.2 (which wrote the references) computes them its own
way and ktriage follows it:
  SHARED     pages with _refcount > 1 that are not PG_reserved, counted in
             mem_map; the kernel has no such counter (its Shmem is NR_SHMEM).
  SLAB       pages with PG_slab, i.e. slab head pages: crash 8.0.2 looks for
             NR_SLAB_RECLAIMABLE, which 5.9 renamed NR_SLAB_RECLAIMABLE_B, so
             it falls back to mem_map; /proc/meminfo's Slab (the vm_stat
             counters) also counts the tail pages of multi-page slabs and is
             larger (3992 pages against 2214 on cgroup_deadlock).
  COMMITTED  vm_committed_as.count alone; /proc/meminfo's Committed_AS adds
             the per-CPU deltas not yet folded in (at most a batch per CPU).

Module symbols: every frame of drgn-ref/stacks.txt whose pc lies in a module
gives, through `ktriage sym`, drgn's function+offset and the module's name.

Environment: KTRIAGE (the binary), KT_SAMPLE (the bundled sample directory),
KT_VMCORES (the shared corpus; its dumps are skipped when it is absent).
"""
import json
import os
import re
import subprocess
import unittest

KTRIAGE = os.environ.get("KTRIAGE", "build/ktriage")
SAMPLE = os.environ.get("KT_SAMPLE", "samples/cgroup_deadlock")
VMCORES = os.environ.get("KT_VMCORES", "")

KMEM_ROWS = ["TOTAL MEM", "FREE", "USED", "SHARED", "BUFFERS", "CACHED", "SLAB",
             "TOTAL HUGE", "HUGE FREE", "TOTAL SWAP", "SWAP USED", "SWAP FREE",
             "COMMIT LIMIT", "COMMITTED"]


def dump_dirs(test):
    dirs = [SAMPLE]
    if VMCORES and os.path.isdir(VMCORES):
        dirs += sorted(os.path.join(VMCORES, d) for d in os.listdir(VMCORES)
                       if os.path.exists(os.path.join(VMCORES, d, "vmcore.kdump")))
    else:
        print(f"\n{test}: KT_VMCORES={VMCORES!r} is not a directory: "
              "only the bundled sample is checked")
    return dirs


def ktriage(*args):
    out = subprocess.run([KTRIAGE, *args], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise AssertionError(f"ktriage {' '.join(args)} exited {out.returncode}: "
                             f"{out.stderr}")
    return out.stdout


def read(path):
    with open(path) as f:
        return f.read()


def crash_kmem(path):
    """{row name: pages} from crash's kmem -i table."""
    rows = {}
    for line in read(path).splitlines():
        m = re.match(r"^\s*([A-Z][A-Z ]*[A-Z])\s+(\d+)\s", line)
        if m:
            rows[m.group(1)] = int(m.group(2))
    return rows


def crash_tainted_modules(path):
    """[(name, taints)] from crash's mod -t; [] for "no tainted modules"."""
    lines = [l for l in read(path).splitlines() if l.strip()]
    if lines == ["no tainted modules"]:
        return []
    assert lines[0].split() == ["NAME", "TAINTS"], f"{path}: unexpected header"
    return [tuple(l.split()) for l in lines[1:]]


def drgn_module_frames(path, modules):
    """[(pc, function+offset, module)] for frames whose pc is in a module."""
    frames = []
    for line in read(path).splitlines():
        m = re.match(r"^#\d+ (\S+\+0x[0-9a-f]+)\s+pc=0x([0-9a-f]+)", line)
        if not m:  # inlined frames ("f [inline] in g+0x..") repeat their caller
            continue
        pc = int(m.group(2), 16)
        for mod in modules:
            base = int(mod["base"], 16)
            if base <= pc < base + mod["size"]:
                frames.append((pc, m.group(1), mod["name"]))
    return frames


class ModTest(unittest.TestCase):
    def test_mod_matches_crash_mod_t(self):
        for d in dump_dirs("mod"):
            with self.subTest(dump=d):
                dump = os.path.join(d, "vmcore.kdump")
                ref = os.path.join(d, "crash-ref", "mod_-t.txt")
                self.assertEqual(ktriage("mod", dump), read(ref),
                                 f"{dump}: ktriage mod differs from {ref}")
                want = crash_tainted_modules(ref)
                got = [(m["name"], m["taints"])
                       for m in json.loads(ktriage("mod", dump, "--json"))]
                self.assertEqual(sorted(got), sorted(want),
                                 f"{dump}: mod --json tainted modules")

    def test_mod_all_lists_every_module_drgn_knows(self):
        for d in dump_dirs("mod --all"):
            with self.subTest(dump=d):
                dump = os.path.join(d, "vmcore.kdump")
                meta = json.loads(read(os.path.join(d, "drgn-ref", "meta.json")))
                modules = json.loads(ktriage("mod", "--all", dump, "--json"))
                self.assertEqual(sorted(m["name"] for m in modules),
                                 sorted(meta["modules"]),
                                 f"{dump}: modules differ from drgn's")
                bases = [int(m["base"], 16) for m in modules]
                self.assertEqual(bases, sorted(bases), f"{dump}: not in base order")
                for m in modules:
                    self.assertTrue(int(m["base"], 16) >= 0xffff800000000000
                                    and m["size"] > 0,
                                    f"{dump}: {m} is implausible")
                text = ktriage("mod", dump, "--all").splitlines()
                self.assertEqual(text[0].split(), ["MODULE", "NAME", "BASE", "SIZE",
                                                   "TAINTS"])
                self.assertEqual(len(text), len(modules) + 1)


class ModuleSymbolTest(unittest.TestCase):
    def test_module_frames_name_drgns_function_and_offset(self):
        checked = 0
        for d in dump_dirs("module symbols"):
            with self.subTest(dump=d):
                dump = os.path.join(d, "vmcore.kdump")
                modules = json.loads(ktriage("mod", "--all", dump, "--json"))
                frames = drgn_module_frames(os.path.join(d, "drgn-ref", "stacks.txt"),
                                            modules)
                if not frames:
                    continue
                out = ktriage("sym", dump, *[f"{pc:016x}" for pc, _, _ in frames])
                lines = out.splitlines()
                self.assertEqual(len(lines), len(frames), out)
                for (pc, want, module), line in zip(frames, lines):
                    self.assertRegex(line, rf"^{pc:016x} \([tT]\) {re.escape(want)} "
                                           rf"\[{re.escape(module)}\]$",
                                     f"{dump}: pc {pc:#x}: drgn says {want} [{module}]")
                    checked += 1
        self.assertGreater(checked, 0, "no module frame in any drgn stack")

    def test_module_symbol_names_resolve(self):
        dump = os.path.join(SAMPLE, "vmcore.kdump")
        modules = json.loads(ktriage("mod", "--all", dump, "--json"))
        ctrsvc = [m for m in modules if m["taints"]][0]
        first = ktriage("sym", dump, ctrsvc["base"][2:]).split()
        self.assertEqual(first[-1], f"[{ctrsvc['name']}]", first)
        name = first[2].split("+")[0]
        again = ktriage("sym", dump, name).split()
        self.assertEqual(again[0], ctrsvc["base"][2:], f"{name} by name")


class KmemTest(unittest.TestCase):
    def test_kmem_matches_crash_kmem_i(self):
        for d in dump_dirs("kmem"):
            with self.subTest(dump=d):
                dump = os.path.join(d, "vmcore.kdump")
                ref = os.path.join(d, "crash-ref", "kmem_-i.txt")
                want = crash_kmem(ref)
                self.assertEqual(sorted(want), sorted(KMEM_ROWS), f"{ref}: rows")
                got = json.loads(ktriage("kmem", dump, "--json"))
                self.assertEqual(sorted(got),
                                 sorted(r.lower().replace(" ", "_") for r in KMEM_ROWS))
                for row in KMEM_ROWS:
                    key = row.lower().replace(" ", "_")
                    self.assertEqual(got[key], want[row],
                                     f"{dump}: {row}: ktriage {got[key]} pages, "
                                     f"crash {want[row]}")
                self.assertEqual(ktriage("kmem", dump), read(ref),
                                 f"{dump}: the table differs from {ref}")


if __name__ == "__main__":
    unittest.main()
