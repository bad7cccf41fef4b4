"""`make layers` fails on an #include or a call that runs up the layers.

(a) In a temporary copy of the sources, the dump reader (layer 0) includes
    the analysis layer's public header: `make layers` fails and names the
    file; the unplanted copy passes the include check.
(b) The built archives, copied, with an object that calls the analysis layer
    added to the dump reader's archive: the calls check fails and names the
    call; the unmodified copies pass.
(c) An entry point includes a part of a layer's public header instead of
    the header itself: the include check fails and names the header to use;
    so does a public header no layer owns.
"""
import glob
import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("KT_BUILD", os.path.join(ROOT, "build"))
CHECK = os.path.join(ROOT, "tools", "check-layers")
SOURCES = ["lib", "include", "cli", "daemon", "tools", "Makefile", "VERSION", "tests/fuzz/fuzz.mk"]


def copy_sources(dest):
    for name in SOURCES:
        src, dst = os.path.join(ROOT, name), os.path.join(dest, name)
        if os.path.isdir(src):
            shutil.copytree(src, dst)
        else:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy(src, dst)


class Layers(unittest.TestCase):
    def test_planted_upward_include_fails_make_layers(self):
        with tempfile.TemporaryDirectory() as tmp:
            copy_sources(tmp)
            clean = subprocess.run(["python3", CHECK, "--root", tmp, "--includes-only"],
                                   capture_output=True, text=True)
            self.assertEqual(clean.returncode, 0, clean.stderr)
            victim = os.path.join(tmp, "lib", "dump", "cache.c")
            with open(victim, "a") as f:
                f.write('#include "ktriage/analyzer.h"\n')
            run = subprocess.run(["make", "--no-print-directory", "-C", tmp,
                                  "BUILD=" + os.path.join(tmp, "build"), "layers"],
                                 capture_output=True, text=True, timeout=300)
            self.assertNotEqual(run.returncode, 0, run.stdout)
            self.assertIn("lib/dump/cache.c", run.stderr)
            self.assertIn("runs up the layers", run.stderr)
            self.assertFalse(os.path.exists(os.path.join(tmp, "build")),
                             "make layers built before it checked the includes")

    def includes_check_with(self, path, text, mode="a"):
        """The include check on a copy of the sources with text written to path."""
        with tempfile.TemporaryDirectory() as tmp:
            copy_sources(tmp)
            with open(os.path.join(tmp, path), mode) as f:
                f.write(text)
            return subprocess.run(["python3", CHECK, "--root", tmp, "--includes-only"],
                                  capture_output=True, text=True)

    def test_private_header_from_an_entry_point_fails(self):
        run = self.includes_check_with("cli/main.c", '#include "../lib/kernel/internal.h"\n')
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("kernel's private header", run.stderr)

    def test_a_part_of_a_public_header_from_outside_its_layer_fails(self):
        run = self.includes_check_with("cli/main.c", '#include "ktriage/store.h"\n')
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("cli/main.c", run.stderr)
        self.assertIn('include "ktriage/services.h"', run.stderr)

    def test_a_second_public_header_fails(self):
        run = self.includes_check_with("include/ktriage/cache.h",
                                       "/* a second public header */\n", "w")
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("include/ktriage/cache.h: a public header of no layer", run.stderr)

    def test_planted_upward_call_fails_the_calls_check(self):
        archives = sorted(glob.glob(os.path.join(BUILD, "lib", "libkt_*.a")))
        if len(archives) < 5:
            self.skipTest(f"no built archives in {BUILD}/lib (make all first)")
        with tempfile.TemporaryDirectory() as tmp:
            for a in archives:
                shutil.copy(a, tmp)
            clean = subprocess.run(["python3", CHECK, "--archives", tmp],
                                   capture_output=True, text=True)
            self.assertEqual(clean.returncode, 0, clean.stderr)
            src = os.path.join(tmp, "planted.c")
            with open(src, "w") as f:
                f.write('#include "ktriage/analyzer.h"\n'
                        "void kt_planted(void);\n"
                        "void kt_planted(void) { kt_confidence_band(0.5); }\n")
            obj = os.path.join(tmp, "planted.o")
            subprocess.run(["cc", "-c", "-I", os.path.join(ROOT, "include"), "-o", obj, src],
                           check=True)
            subprocess.run(["ar", "r", os.path.join(tmp, "libkt_dump.a"), obj], check=True,
                           capture_output=True)
            run = subprocess.run(["python3", CHECK, "--archives", tmp],
                                 capture_output=True, text=True)
            self.assertNotEqual(run.returncode, 0)
            self.assertIn("libkt_dump.a calls kt_confidence_band (in analysis)", run.stderr)


if __name__ == "__main__":
    unittest.main()
