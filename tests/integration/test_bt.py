"""ktriage bt against drgn's and crash's backtraces, made with full debuginfo.

drgn-ref/stacks.txt lists inlined functions as frames of their own; without
DWARF an inlined function belongs to the function it is inlined in, so those
lines are folded away before comparing.  kallsyms has no symbol sizes: a
global label inside a function (the kernel's own traces print it, e.g. in
entry code) may name a frame where drgn names the enclosing ELF function;
that is accepted only when the label lies inside drgn's function, below pc.
"""
import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus import KTRIAGE, dump_dirs, run_ktriage  # noqa: E402


def ktriage(*args):
    return run_ktriage(*args, timeout=120).stdout


FRAME = re.compile(r"^#\d+ (?P<what>.*?)\s+pc=0x(?P<pc>[0-9a-f]+)")


def drgn_stacks(path):
    """{pid: {"comm", "header", "frames": [(function, pc)]}} from stacks.txt."""
    stacks, current = {}, None
    for line in open(path):
        line = line.rstrip("\n")
        head = re.match(r"^(\d+) (\S.*?)(?: \((.*)\))?$", line)
        if head and not line.startswith("#"):
            current = {"comm": head.group(2), "header": head.group(3) or "", "frames": []}
            stacks[int(head.group(1))] = current
            continue
        m = FRAME.match(line)
        if not m or current is None:
            continue
        what = m.group("what")
        if "[inline]" in what or what.startswith("?"):
            continue
        function = what.split("+")[0].strip()
        current["frames"].append((function, int(m.group("pc"), 16)))
    return stacks


def symbol_address(dump, name):
    out = subprocess.run([KTRIAGE, "sym", dump, name], capture_output=True, text=True)
    m = re.match(r"^([0-9a-f]+) ", out.stdout)
    return int(m.group(1), 16) if m else None


class BacktraceTest(unittest.TestCase):
    def assert_same_function(self, dump, ours, theirs, pid):
        name, pc = ours["function"], int(ours["address"], 16)
        want, want_pc = theirs
        self.assertEqual(pc, want_pc, f"pid {pid}: pc of {want} differs")
        if name == want:
            return
        # A label inside drgn's function: accepted when it lies inside it.
        label, start = symbol_address(dump, name), symbol_address(dump, want)
        self.assertTrue(label is not None and start is not None and start < label <= pc,
                        f"pid {pid}: ktriage names {name}, drgn {want} at {pc:#x}")

    def test_d_state_stacks_match_drgn(self):
        for d in dump_dirs():
            dump = os.path.join(d, "vmcore.kdump")
            meta = json.load(open(os.path.join(d, "drgn-ref", "meta.json")))
            stacks = drgn_stacks(os.path.join(d, "drgn-ref", "stacks.txt"))
            if not meta["D_task_pids"]:
                # A selection that matches nothing is an error naming it.
                out = subprocess.run([KTRIAGE, "bt", dump, "--state", "UN", "--json"],
                                     capture_output=True, text=True, timeout=120)
                self.assertEqual((out.returncode, out.stdout), (1, ""), out.stderr)
                self.assertIn("no task in state UN", out.stderr)
                continue
            ours = {s["pid"]: s for s in json.loads(ktriage("bt", dump, "--state", "UN", "--json"))}
            with self.subTest(dump=d):
                self.assertEqual(sorted(ours), sorted(meta["D_task_pids"]),
                                 "D-state tasks differ from drgn's")
                for pid in meta["D_task_pids"]:
                    theirs = stacks[pid]["frames"]
                    mine = [f for f in ours[pid]["frames"]]
                    self.assertEqual(len(mine), len(theirs),
                                     f"pid {pid}: {[f['function'] for f in mine]} vs {[f for f, _ in theirs]}")
                    for a, b in zip(mine, theirs):
                        self.assertTrue(a["reliable"], f"pid {pid}: {a} not reliable")
                        self.assert_same_function(dump, a, b, pid)

    def test_panic_task_contains_crash_frames(self):
        """crash's frames appear in order; any other crash frame is a stale
        return address: its stack slot lies below the next frame ktriage
        found, i.e. inside a frame ORC proved to be one frame."""
        for d in dump_dirs():
            dump = os.path.join(d, "vmcore.kdump")
            manifest = json.load(open(os.path.join(d, "manifest.json")))
            crash = [(l.split()[2], int(l.split()[1].strip("[]"), 16))
                     for l in open(os.path.join(d, "crash-ref", "bt.txt"))
                     if re.match(r"^\s*#\d+ \[", l)]
            real_kdump = "real kdump" in manifest["capture"]["method"]
            if real_kdump:
                # crash starts above the saved registers, at machine_kexec;
                # the kernel saved them in __crash_kexec (crash_setup_regs).
                names = [f for f, _ in crash]
                crash = crash[names.index("__crash_kexec"):]
            stacks = json.loads(ktriage("bt", dump, "--json"))
            with self.subTest(dump=d):
                self.assertEqual(len(stacks), 1)
                ours = [(f["function"], int(f["sp"], 16)) for f in stacks[0]["frames"]]
                if real_kdump:
                    self.assertEqual(ours[0][0], "__crash_kexec",
                                     "the stack must start at crash_setup_regs' registers")
                j, matched = 0, 0
                for function, slot in crash:
                    names = [f for f, _ in ours[j:]]
                    if function in names:
                        j += names.index(function) + 1
                        matched += 1
                        continue
                    self.assertTrue(j < len(ours) and slot < ours[j][1]
                                    and ours[j][1] - slot < 0x4000,
                                    f"crash's {function} at [{slot:#x}] is neither in "
                                    f"ktriage's frames {ours} nor a stale slot below one")
                self.assertIn(crash[0][0], [f for f, _ in ours],
                              "crash's innermost frame is missing")
                self.assertGreaterEqual(matched, 3, f"few frames matched: {crash} vs {ours}")


if __name__ == "__main__":
    unittest.main()
