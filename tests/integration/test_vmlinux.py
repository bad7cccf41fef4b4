"""With --vmlinux (DWARF through libdw, ELF symbols) the results are the same.

Every command that reads the kernel is run twice on each dump: from the
dump alone (its own kallsyms and BTF) and with the debug vmlinux of the
dump's build; the output must be identical, byte for byte.

The vmlinux is looked for in $KT_VMLINUX_DIR (default
/tmp/kt/debug/usr/lib/debug/boot), as any file whose GNU build ID is the
dump's BUILD-ID (../shared/vmlab/README.md says how to get one:
apt-get download linux-image-<release>-dbg; dpkg-deb --fsys-tarfile ... |
tar -x ./usr/lib/debug/boot/vmlinux-<release>).  Dumps without one are
skipped with a message.  A vmlinux of another build is refused with one
line, as crash refuses it.
"""
import json
import os
import struct
import subprocess
import unittest

KTRIAGE = os.environ.get("KTRIAGE", "build/ktriage")
SAMPLE = os.environ.get("KT_SAMPLE", "samples/cgroup_deadlock")
VMCORES = os.environ.get("KT_VMCORES", "../shared/vmcores")
VMLINUX_DIR = os.environ.get("KT_VMLINUX_DIR", "/tmp/kt/debug/usr/lib/debug/boot")

# What is compared; commands this build does not have yet are skipped.
COMMANDS = [("ps", "--json"), ("sys", "--json"), ("dmesg", "--json"), ("mod", "--json"),
            ("mod", "--all", "--json"), ("kmem", "--json"), ("bt", "--json"),
            ("bt", "-a", "--json"), ("bt", "--all-tasks", "--json"), ("locks", "--json")]

SHT_NOTE = 7
NT_GNU_BUILD_ID = 3


def run(*args):
    return subprocess.run([KTRIAGE, *args], capture_output=True, text=True, timeout=300)


def elf_build_id(path):
    """The NT_GNU_BUILD_ID of an ELF64 little-endian file, as hex, or None."""
    try:
        with open(path, "rb") as f:
            header = f.read(64)
            if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
                return None
            shoff, = struct.unpack_from("<Q", header, 0x28)
            shentsize, shnum = struct.unpack_from("<HH", header, 0x3a)
            f.seek(shoff)
            sections = f.read(shentsize * shnum)
            for i in range(shnum):
                sh_type, = struct.unpack_from("<I", sections, i * shentsize + 4)
                if sh_type != SHT_NOTE:
                    continue
                offset, size = struct.unpack_from("<QQ", sections, i * shentsize + 0x18)
                f.seek(offset)
                notes = f.read(min(size, 1 << 16))
                pos = 0
                while pos + 12 <= len(notes):
                    namesz, descsz, kind = struct.unpack_from("<III", notes, pos)
                    name_end = pos + 12 + (namesz + 3) // 4 * 4
                    if kind == NT_GNU_BUILD_ID and notes[pos + 12:pos + 12 + namesz] == b"GNU\0":
                        return notes[name_end:name_end + descsz].hex()
                    pos = name_end + (descsz + 3) // 4 * 4
    except OSError:
        return None
    return None


def vmlinuxes():
    """{build id: path} of the vmlinux files in KT_VMLINUX_DIR."""
    found = {}
    if os.path.isdir(VMLINUX_DIR):
        for name in sorted(os.listdir(VMLINUX_DIR)):
            path = os.path.join(VMLINUX_DIR, name)
            build_id = os.path.isfile(path) and elf_build_id(path)
            if build_id:
                found.setdefault(build_id, path)
    return found


def dump_build_id(directory):
    with open(os.path.join(directory, "manifest.json")) as f:
        return json.load(f)["build_id"]


def dumps():
    found = [SAMPLE]
    if os.path.isdir(VMCORES):
        found += sorted(os.path.join(VMCORES, d) for d in os.listdir(VMCORES)
                        if os.path.exists(os.path.join(VMCORES, d, "vmcore.kdump")))
    return found


class SameWithVmlinux(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.vmlinuxes = vmlinuxes()

    def compare(self, directory, vmlinux):
        dump = os.path.join(directory, "vmcore.kdump")
        compared = 0
        for command in COMMANDS:
            alone = run(*command, dump)
            if alone.returncode == 2 and "unknown command" in alone.stderr:
                continue  # not in this build yet
            with_vmlinux = run(*command, "--vmlinux", vmlinux, dump)
            what = f"{os.path.basename(directory)}: ktriage {' '.join(command)}"
            self.assertEqual(alone.returncode, with_vmlinux.returncode,
                             f"{what}: exit {alone.returncode} alone, {with_vmlinux.returncode} "
                             f"with --vmlinux ({with_vmlinux.stderr.strip()})")
            if alone.stdout != with_vmlinux.stdout:
                a, b = alone.stdout.splitlines(), with_vmlinux.stdout.splitlines()
                first = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]),
                             min(len(a), len(b)))
                self.fail(f"{what}: output differs with --vmlinux {vmlinux} at line {first + 1}: "
                          f"{a[first] if first < len(a) else '<end>'!r} alone, "
                          f"{b[first] if first < len(b) else '<end>'!r} with it")
            compared += 1
        self.assertGreater(compared, 0, "no command to compare")

    def test_same_results_with_matching_vmlinux(self):
        tested = 0
        for directory in dumps():
            vmlinux = self.vmlinuxes.get(dump_build_id(directory))
            if not vmlinux:
                continue
            with self.subTest(dump=os.path.basename(directory)):
                self.compare(directory, vmlinux)
            tested += 1
        if not tested:
            self.skipTest(f"no debug vmlinux matching a dump's BUILD-ID in {VMLINUX_DIR} "
                          "(KT_VMLINUX_DIR); see ../shared/vmlab/README.md")

    def test_another_builds_vmlinux_is_refused(self):
        """Refused with one line naming both build IDs, as crash refuses it."""
        for directory in dumps():
            build_id = dump_build_id(directory)
            other = next((p for b, p in self.vmlinuxes.items() if b != build_id), None)
            if other:
                dump = os.path.join(directory, "vmcore.kdump")
                refused = run("sys", "--json", "--vmlinux", other, dump)
                self.assertEqual(refused.returncode, 1, refused.stderr)
                self.assertEqual(refused.stdout, "")
                lines = refused.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1, refused.stderr)
                self.assertIn(build_id, lines[0])
                self.assertIn("build ID", lines[0])
                return
        self.skipTest("no dump whose build differs from a vmlinux in KT_VMLINUX_DIR")


if __name__ == "__main__":
    unittest.main()
