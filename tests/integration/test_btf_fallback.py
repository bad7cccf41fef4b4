"""A dump without BTF (RHEL 8.0, Ubuntu 20.04's GA 5.4...), made here from the
shared sysrq dump's ELF form by breaking the BTF blob's magic in a copy.

Without BTF ktriage says so and gives what kallsyms, the log and ORC allow:
the log (dmesg as vmcore-dmesg.txt), symbols, the verdict from the log,
and the stacks of the CPUs from their saved registers: the panicking CPU's
stack holds the panic task's own frames, as bt printed them with BTF.
--btf with the kernel's own BTF (saved from the intact dump, as ktriaged
saves /sys/kernel/btf/vmlinux) gives back the task list; a BTF of another
kernel ($KT_VMCORES_515 / $KT_VMCORES_54) is refused: it disagrees with
the dump's VMCOREINFO.
"""
import importlib.machinery
import importlib.util
import json
import lzma
import os
import shutil
import struct
import tempfile
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus import VMCORES, ElfDump, run_ktriage  # noqa: E402
OTHER_KERNELS = [os.environ.get("KT_VMCORES_54", "../shared/vmcores-5.4"),
                 os.environ.get("KT_VMCORES_515", "../shared/vmcores-5.15")]
HERE = os.path.dirname(os.path.abspath(__file__))
START_KERNEL_MAP = 0xffffffff80000000


def run(*args, check=True):
    return run_ktriage(*args, check=check)


def symbol(dump, name):
    return int(run("sym", dump, name).stdout.split()[0], 16)


class Elf(ElfDump):
    """An ELF dump's physical PT_LOADs, and its kernel image mapping."""

    def __init__(self, path):
        super().__init__(path)
        self.file.seek(0)
        head = self.file.read(1 << 16)
        at = head.find(b"NUMBER(phys_base)=")
        self.phys_base = int(head[at:head.find(b"\n", at)].split(b"=")[1]) if at >= 0 else 0

    def physical(self, vaddr):
        return vaddr - START_KERNEL_MAP + self.phys_base


def kdump_reader():
    return load_module("make_seeds", os.path.join(HERE, "..", "fuzz", "make-seeds")).Kdump


def other_kernel_btf(out):
    """The BTF of a pre-6.0 dump, saved to out; None when none is here."""
    for corpus in OTHER_KERNELS:
        if not os.path.isdir(corpus):
            continue
        for d in sorted(os.listdir(corpus)):
            dump = os.path.join(corpus, d, "vmcore.kdump")
            if os.path.exists(dump):
                start, stop = symbol(dump, "__start_BTF"), symbol(dump, "__stop_BTF")
                reader = kdump_reader()(dump)
                with open(out, "wb") as f:
                    f.write(reader.read_image(start, stop - start))
                reader.f.close()
                return out
    return None


class WithoutBtf(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        source = os.path.join(VMCORES, "sysrq", "vmcore.elf.xz")
        if not os.path.exists(source):
            raise unittest.SkipTest(f"no {source}")
        cls.dir = os.path.join(VMCORES, "sysrq")
        cls.tmp = tempfile.mkdtemp(prefix="kt-nobtf-")
        cls.dump = os.path.join(cls.tmp, "vmcore.elf")
        with lzma.open(source) as src, open(cls.dump, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        # What BTF gives, before it is taken away.
        cls.ps = json.loads(run("ps", cls.dump, "--json").stdout)
        cls.panic_bt = json.loads(run("bt", cls.dump, "--json").stdout)
        start, stop = symbol(cls.dump, "__start_BTF"), symbol(cls.dump, "__stop_BTF")
        elf = Elf(cls.dump)
        cls.btf = os.path.join(cls.tmp, "vmlinux.btf")
        with open(cls.btf, "wb") as f:
            f.write(elf.read(start, stop - start))
        assert elf.read(start, 2) == b"\x9f\xeb", "not a BTF blob"
        elf.write(start, b"\0\0\0\0")
        elf.file.close()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_log_and_symbols_without_btf(self):
        with open(os.path.join(self.dir, "vmcore-dmesg.txt")) as f:
            self.assertEqual(run("dmesg", self.dump).stdout, f.read())
        out = run("sym", self.dump, "panic").stdout
        self.assertIn("panic+0x0", out)

    def test_task_commands_say_why(self):
        out = run("ps", self.dump, check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("BTF", out.stderr)

    def test_analyze_from_the_log_says_so(self):
        got = json.loads(run("analyze", self.dump, "--json").stdout)
        with open(os.path.join(self.dir, "manifest.json")) as f:
            self.assertEqual(got["verdict"], json.load(f)["expected_verdict"])
        self.assertTrue(any("BTF" in n for n in got["notes"]), got["notes"])

    def test_bt_gives_the_cpu_stacks(self):
        out = run("bt", self.dump, "--json")
        self.assertIn("no task list", out.stderr)
        stacks = json.loads(out.stdout)
        self.assertEqual(len(stacks), 2, "one stack per CPU with saved registers")
        want = [f["function"] for f in self.panic_bt[0]["frames"] if f["reliable"]]
        want = want[want.index("panic"):]
        # From panic outwards the panicking CPU's stack holds the panic task's
        # frames in order.  Without the module list a module's frame (the
        # pvpanic notifier) has no ORC: the unwinder scans past it, and
        # those frames are marked unreliable until ORC takes over again.
        cpu = [s for s in stacks if "panic" in [f["function"] for f in s["frames"]]]
        self.assertEqual(len(cpu), 1, "one CPU panicked")
        functions = iter(f["function"] for f in cpu[0]["frames"])
        missing = [w for w in want if w not in functions]
        self.assertEqual(missing, [], f"frames not on the CPU's stack, in order: {want}")
        self.assertTrue(cpu[0]["frames"][-1]["reliable"], "the stack's end is reached by ORC")

    def test_btf_file_gives_the_tasks_back(self):
        got = json.loads(run("ps", self.dump, "--json", "--btf", self.btf).stdout)
        self.assertEqual(got, self.ps)

    def test_btf_of_another_kernel_is_refused(self):
        other = other_kernel_btf(os.path.join(self.tmp, "other.btf"))
        if not other:
            self.skipTest(f"no dump of another kernel in {OTHER_KERNELS}")
        out = run("ps", self.dump, "--btf", other, check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("does not describe this kernel", out.stderr)

    def test_ktriaged_keeps_btf_and_uses_it(self):
        """ktriaged saves the running kernel's BTF by build ID at start; a
        BTF kept for the dump's build (put there as if ktriaged had run on
        that kernel) turns the BTF-less dump's verdict into one from memory."""
        daemon_tests = load_module("test_daemon", os.path.join(HERE, "test_daemon.py"))
        root = tempfile.mkdtemp(prefix="kt-btf-daemon-", dir=self.tmp)
        d = daemon_tests.Daemon(root)
        kept = os.path.join(d.state, "btf")
        os.makedirs(kept)
        with open(self.dump, "rb") as f:
            head = f.read(1 << 16)
        at = head.find(b"BUILD-ID=")
        build_id = head[at + 9:head.find(b"\n", at)].decode()
        shutil.copy(self.btf, os.path.join(kept, build_id + ".btf"))
        d.start()
        try:
            running = running_build_id()
            if running and os.path.exists("/sys/kernel/btf/vmlinux"):
                with open("/sys/kernel/btf/vmlinux", "rb") as f, \
                        open(os.path.join(kept, running + ".btf"), "rb") as g:
                    self.assertEqual(f.read(), g.read(), "the running kernel's BTF, kept")
            host = os.path.join(d.crash, "127.0.0.1-2026-12-06-01:00:00")
            os.mkdir(host)
            os.link(self.dump, os.path.join(host, "vmcore"))
            d.wait_finished(1)
            report_path = d.analyses()[0][6]
            with open(report_path) as f:
                report = json.load(f)
            self.assertEqual(report["verdict"], "sysrq")
            self.assertIn("memory", report["findings"][0]["sources"], report["notes"])
        finally:
            self.assertEqual(d.stop(), 0, d.log_text()[-3000:])


def load_module(name, path):
    loader = importlib.machinery.SourceFileLoader(name, path)
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    loader.exec_module(module)
    return module


def running_build_id():
    """NT_GNU_BUILD_ID from /sys/kernel/notes, as hex; None when unreadable."""
    try:
        with open("/sys/kernel/notes", "rb") as f:
            notes = f.read()
    except OSError:
        return None
    at = 0
    while at + 12 <= len(notes):
        namesz, descsz, kind = struct.unpack_from("<III", notes, at)
        name = notes[at + 12:at + 12 + namesz]
        desc_at = at + 12 + (namesz + 3) // 4 * 4
        if kind == 3 and name == b"GNU\0":
            return notes[desc_at:desc_at + descsz].hex()
        at = desc_at + (descsz + 3) // 4 * 4
    return None


if __name__ == "__main__":
    unittest.main()
