# SPDX-License-Identifier: MIT
"""ktriage dmesg against the reference vmcore-dmesg.txt of every dump.

The references were written by makedumpfile --dump-dmesg.  A record is a
"[%5lu.%06lu] " line plus the indented lines of a multi-line message; the
comparison is record by record, timestamp and text, and a failure names the
first record that differs.

Environment: KTRIAGE (the binary), KT_SAMPLE (the bundled sample directory),
KT_VMCORES (the shared corpus; skipped when absent).
"""
import json
import os
import re
import subprocess
import unittest

KTRIAGE = os.environ.get("KTRIAGE", "build/ktriage")
SAMPLE = os.environ.get("KT_SAMPLE", "samples/cgroup_deadlock")
VMCORES = os.environ.get("KT_VMCORES", "")

RECORD = re.compile(rb"^\[ *(\d+)\.(\d{6})\] ")


def parse_records(data):
    """[(seconds, micros, text)] from makedumpfile-style output."""
    records = []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for line in lines:
        match = RECORD.match(line)
        if match:
            records.append([int(match.group(1)), int(match.group(2)),
                            line[match.end():]])
            continue
        if not records:
            raise AssertionError("output starts with a line that is not a "
                                 "record: %r" % line[:120])
        indent = len(b"[%5d.%06d] " % (records[-1][0], records[-1][1]))
        if line[:indent].strip(b" "):
            raise AssertionError("line %r is neither a record nor an "
                                 "indented continuation" % line[:120])
        records[-1][2] += b"\n" + line[indent:]
    return [tuple(r) for r in records]


def describe(record):
    if record is None:
        return "(none)"
    return "[%5d.%06d] %r" % (record[0], record[1], record[2][:200])


def compare(test, expected_bytes, actual_bytes, where):
    expected = parse_records(expected_bytes)
    actual = parse_records(actual_bytes)
    for i in range(max(len(expected), len(actual))):
        e = expected[i] if i < len(expected) else None
        a = actual[i] if i < len(actual) else None
        if e != a:
            what = "text"
            if e and a and e[:2] != a[:2]:
                what = "timestamp"
            elif e is None or a is None:
                what = "record count"
            test.fail("%s: record %d of %d (ktriage has %d) differs in %s\n"
                      "  expected %s\n  got      %s"
                      % (where, i + 1, len(expected), len(actual), what,
                         describe(e), describe(a)))
    # Record by record equal: the bytes must be too (spacing, escapes).
    test.assertEqual(expected_bytes, actual_bytes,
                     "%s: same records but different bytes" % where)


def run(*args):
    return subprocess.run([KTRIAGE, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120)


def shared_dumps():
    if not VMCORES or not os.path.isdir(VMCORES):
        return []
    found = []
    for name in sorted(os.listdir(VMCORES)):
        directory = os.path.join(VMCORES, name)
        dump = os.path.join(directory, "vmcore.kdump")
        reference = os.path.join(directory, "vmcore-dmesg.txt")
        if os.path.isfile(dump) and os.path.isfile(reference):
            found.append((name, dump, reference))
    return found


class DmesgMatchesReference(unittest.TestCase):
    def check_dump(self, dump, reference, where):
        result = run("dmesg", dump)
        self.assertEqual(result.returncode, 0,
                         "%s: ktriage dmesg exited %d: %s"
                         % (where, result.returncode,
                            result.stderr.decode(errors="replace")))
        with open(reference, "rb") as f:
            expected = f.read()
        compare(self, expected, result.stdout, where)

    def test_bundled_sample(self):
        dump = os.path.join(SAMPLE, "vmcore.kdump")
        if not os.path.isfile(dump):
            self.skipTest("no bundled sample at %s" % SAMPLE)
        self.check_dump(dump, os.path.join(SAMPLE, "vmcore-dmesg.txt"),
                        "sample")

    def test_every_shared_dump(self):
        dumps = shared_dumps()
        if not dumps:
            self.skipTest("no shared dumps in KT_VMCORES=%r" % VMCORES)
        for name, dump, reference in dumps:
            with self.subTest(dump=name):
                self.check_dump(dump, reference, name)

    def test_json_has_the_same_records(self):
        dump = os.path.join(SAMPLE, "vmcore.kdump")
        if not os.path.isfile(dump):
            self.skipTest("no bundled sample at %s" % SAMPLE)
        text = run("dmesg", dump)
        result = run("dmesg", "--json", dump)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        records = json.loads(result.stdout)
        expected = parse_records(text.stdout)
        self.assertEqual(len(records), len(expected),
                         "--json has %d records, text output %d"
                         % (len(records), len(expected)))
        previous = -1
        for i, (record, (seconds, micros, body)) in enumerate(zip(records, expected)):
            got = (record["ts_nsec"] // 10**9, record["ts_nsec"] % 10**9 // 1000)
            self.assertEqual(got, (seconds, micros),
                             "record %d: ts_nsec %d vs [%d.%06d]"
                             % (i, record["ts_nsec"], seconds, micros))
            indent = len(b"[%5d.%06d] " % (seconds, micros))
            plain = body.replace(b"\n" + b" " * indent, b"\n")
            self.assertEqual(record["text"].encode(), plain,
                             "record %d: JSON text differs" % i)
            self.assertGreater(record["seq"], previous,
                               "record %d: seq %d after %d" % (i, record["seq"], previous))
            previous = record["seq"]
            self.assertIn(record["level"], range(8))
            self.assertRegex(record["caller"], r"^[TC]\d+$")


class DmesgUsage(unittest.TestCase):
    def test_no_dump_is_a_usage_error(self):
        result = run("dmesg")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(b"Usage: ktriage dmesg", result.stderr)

    def test_missing_file_names_it(self):
        result = run("dmesg", "/nonexistent/vmcore")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn(b"/nonexistent/vmcore", result.stderr)
        self.assertEqual(result.stdout, b"")


if __name__ == "__main__":
    unittest.main()
