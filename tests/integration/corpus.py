# SPDX-License-Identifier: MIT
"""What the dump tests share: where ktriage and the dumps are, how to run
ktriage on them, and a dump's ELF form opened for patching in place.

Environment: KTRIAGE, KT_SAMPLE (the bundled sample), KT_VMCORES (the shared
corpus; its scenarios are used when present).
"""
import json
import os
import struct
import subprocess

KTRIAGE = os.environ.get("KTRIAGE", "build/ktriage")
SAMPLE = os.environ.get("KT_SAMPLE", "samples/cgroup_deadlock")
VMCORES = os.environ.get("KT_VMCORES", "../shared/vmcores")


def dump_dirs():
    """The sample, then every scenario of the corpus with a vmcore.kdump."""
    dirs = [SAMPLE]
    if os.path.isdir(VMCORES):
        dirs += sorted(os.path.join(VMCORES, d) for d in os.listdir(VMCORES)
                       if os.path.exists(os.path.join(VMCORES, d, "vmcore.kdump")))
    return dirs


def manifest(d):
    with open(os.path.join(d, "manifest.json")) as f:
        return json.load(f)


def run_ktriage(*args, timeout=300, check=True):
    """ktriage's completed process; a failure raises when check is set."""
    out = subprocess.run([KTRIAGE, *args], capture_output=True, text=True, timeout=timeout)
    if check and out.returncode != 0:
        raise AssertionError(f"ktriage {' '.join(args)} exited {out.returncode}: {out.stderr}")
    return out


class ElfDump:
    """An ELF dump's physical PT_LOADs, opened for reading and patching by
    virtual address; physical() says how an address maps (the subclass)."""

    def __init__(self, path):
        self.file = open(path, "r+b")
        header = self.file.read(64)
        phoff, = struct.unpack_from("<Q", header, 32)
        phentsize, phnum = struct.unpack_from("<HH", header, 54)
        self.loads = []
        for i in range(phnum):
            self.file.seek(phoff + i * phentsize)
            p_type, _, offset, _, paddr, filesz = struct.unpack("<IIQQQQ", self.file.read(40))
            if p_type == 1:
                self.loads.append((paddr, filesz, offset))

    def physical(self, vaddr):
        raise NotImplementedError

    def offset(self, vaddr):
        paddr = self.physical(vaddr)
        for start, size, offset in self.loads:
            if start <= paddr < start + size:
                return offset + paddr - start
        raise AssertionError(f"0x{vaddr:x} is not in the dump")

    def read(self, vaddr, size):
        self.file.seek(self.offset(vaddr))
        return self.file.read(size)

    def write(self, vaddr, data):
        self.file.seek(self.offset(vaddr))
        self.file.write(data)
        self.file.flush()

    def close(self):
        self.file.close()
