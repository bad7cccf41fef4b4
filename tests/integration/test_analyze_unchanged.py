"""`analyze` output, text and --json, is byte-identical to the stored expected
outputs on every dump this machine has.

tests/expected/analyze/ holds them; they were made by the binary before the
layers refactor (issue 20), and are rewritten (tests/expected/analyze/regen)
only by a change that means to alter the output and says so.  A dump the
machine lacks is skipped with a message; a dump with no expected file
fails.
"""
import importlib.machinery
import importlib.util
import os
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXPECTED = os.path.join(ROOT, "tests", "expected", "analyze")
KTRIAGE = os.environ.get("KTRIAGE", os.path.join(ROOT, "build/ktriage"))
VMCORES = os.environ.get("KT_VMCORES", os.path.join(ROOT, "..", "shared", "vmcores"))


def load_regen():
    loader = importlib.machinery.SourceFileLoader("regen", os.path.join(EXPECTED, "regen"))
    spec = importlib.util.spec_from_loader("regen", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


REGEN = load_regen()


class AnalyzeUnchanged(unittest.TestCase):
    def test_every_dump_matches_its_expected_output(self):
        dumps = dict(REGEN.dumps(VMCORES))
        self.assertIn("samples_cgroup_deadlock", dumps, "the bundled sample is missing")
        stems = {os.path.splitext(n)[0] for n in os.listdir(EXPECTED) if n.endswith(".txt")}
        for stem in sorted(stems - set(dumps)):
            print(f"\n  skipped: {stem}: its dump is not on this machine (KT_VMCORES={VMCORES})")
        for stem, scenario_dir in sorted(dumps.items()):
            for ext, (rc, out) in REGEN.outputs(KTRIAGE, scenario_dir).items():
                with self.subTest(dump=stem, output=ext):
                    path = os.path.join(EXPECTED, f"{stem}.{ext}")
                    self.assertTrue(os.path.isfile(path), f"no expected output {path} "
                                    "(tests/expected/analyze/regen writes it)")
                    self.assertEqual(rc, 0)
                    with open(path, "rb") as f:
                        want = f.read()
                    self.assertEqual(out.decode(errors="replace"),
                                     want.decode(errors="replace"),
                                     f"analyze output of {scenario_dir} changed")

    def test_expected_outputs_come_in_pairs(self):
        stems = {}
        for name in os.listdir(EXPECTED):
            stem, ext = os.path.splitext(name)
            if ext in (".txt", ".json"):
                stems.setdefault(stem, set()).add(ext)
        self.assertGreaterEqual(len(stems), 1)
        for stem, exts in stems.items():
            self.assertEqual(exts, {".txt", ".json"}, stem)


if __name__ == "__main__":
    unittest.main()
