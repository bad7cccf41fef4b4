#!/usr/bin/python3
"""Reference numbers for `ktriage kmem` on 6.10+ kernels, where crash 8.0.2 cannot open
the dump ("invalid structure member offset: module_core_size": 6.4's module memory).

Run with drgn and the kernel's debug vmlinux (DWARF, not the BTF ktriage reads):
    /usr/bin/python3 tests/refs/kmem612.py VMLINUX VMCORE
Prints crash's kmem -i rows that a page walk decides, counted as crash 8 counts them
(SLAB: slab head pages; SHARED: pages not PG_reserved with _refcount > 1), plus the
kernel's own count of slabs (the sum of kmem_cache_node.nr_slabs over every cache and
node, CONFIG_SLUB_DEBUG), which must equal the slab head pages.
"""
import sys

import drgn
from drgn.helpers.linux.list import list_for_each_entry

prog = drgn.Program()
prog.set_core_dump(sys.argv[2])
prog.load_debug_info([sys.argv[1]])

pgty_slab = prog.constant("PGTY_slab").value_()
pg_reserved = 1 << prog.constant("PG_reserved").value_()
page_type = prog.type("struct page")
size = page_type.size
vmemmap = prog["vmemmap_base"].value_()
max_pfn = prog["max_pfn"].value_()
slab_heads = shared = unreadable = 0
type_off = drgn.offsetof(page_type, "page_type")
flags_off = drgn.offsetof(page_type, "flags")
ref_off = drgn.offsetof(page_type, "_refcount")
for pfn in range(max_pfn):
    try:
        raw = prog.read(vmemmap + pfn * size, size)
    except drgn.FaultError:
        unreadable += 1
        continue
    ptype = int.from_bytes(raw[type_off:type_off + 4], "little")
    flags = int.from_bytes(raw[flags_off:flags_off + 8], "little")
    ref = int.from_bytes(raw[ref_off:ref_off + 4], "little", signed=True)
    if ptype >> 24 == pgty_slab:
        slab_heads += 1
    if not flags & pg_reserved and ref > 1:
        shared += 1

nr_slabs = 0
for cache in list_for_each_entry("struct kmem_cache", prog["slab_caches"].address_of_(), "list"):
    for node in range(64):
        n = cache.node[node]
        if not n:
            break
        nr_slabs += n.nr_slabs.counter.value_()

total = prog["_totalram_pages"].counter.value_()
free = prog["vm_zone_stat"][prog.constant("NR_FREE_PAGES")].counter.value_()
print(f"pfns {max_pfn} unreadable {unreadable}")
print(f"TOTAL MEM {total}")
print(f"FREE {free}")
print(f"SLAB {slab_heads}")
print(f"SHARED {shared}")
print(f"kernel nr_slabs {nr_slabs}")
