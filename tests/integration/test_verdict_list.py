"""The verdict list is written once, in the registry
(lib/analysis/patterns/registry.c); the schema, the shell completion and
the pattern tables of docs/patterns.md and README.md repeat it, and must
name the same verdicts in the same (precedence) order.  Each verdict has its
pattern file.
"""
import json
import os
import re
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PATTERNS = os.path.join(ROOT, "lib", "analysis", "patterns")


def read(*path):
    with open(os.path.join(ROOT, *path)) as f:
        return f.read()


def registry():
    text = read("lib", "analysis", "patterns", "registry.c")
    table = text[text.index("#define KT_ANALYZERS(X)"):text.index("#define DECLARE")]
    return re.findall(r"\bX\((\w+)\)", table)


def table_rows(text):
    """The first column of the markdown table that starts with | Pattern |."""
    start = text.index("| Pattern |")
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("| `"):
            break
        rows.append(line.split("`")[1])
    return rows


class VerdictList(unittest.TestCase):
    def setUp(self):
        self.verdicts = registry()
        self.assertGreaterEqual(len(self.verdicts), 17, "registry table not found")
        self.assertEqual(self.verdicts[-1], "unknown", "unknown must come last")

    def test_schema(self):
        schema = json.loads(read("schema", "report.schema.json"))
        self.assertEqual(schema["$defs"]["verdict"]["enum"], self.verdicts)

    def test_completion(self):
        text = read("completion", "ktriage.bash")
        words = re.search(r"_ktriage_verdicts='([^']*)'", text).group(1).split()
        self.assertEqual(words, self.verdicts)

    def test_docs_and_readme(self):
        self.assertEqual(table_rows(read("docs", "patterns.md")), self.verdicts)
        self.assertEqual(table_rows(read("README.md")), self.verdicts)

    def test_one_file_each(self):
        for name in self.verdicts:
            path = os.path.join(PATTERNS, name + ".c")
            self.assertTrue(os.path.isfile(path), path)
            self.assertRegex(read(path), r"kt_analyzer_%s\b|KT_OOPS_PATTERN\(%s," % (name, name))


if __name__ == "__main__":
    unittest.main()
