// SPDX-License-Identifier: MIT
/*
 * x86-64 address translation.
 *
 * The kernel image (0xffffffff80000000 + KASLR) maps linearly to phys_base,
 * which is all the bootstrap needs to read kallsyms and static variables.
 * Everything else goes through a page-table walk from init_top_pgt (4- or
 * 5-level, 2 MiB and 1 GiB leaves).  Once page_offset_base is known (a
 * variable, randomised, not in VMCOREINFO) the direct map becomes a
 * subtraction; a small TLB remembers recent walks.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define START_KERNEL_MAP 0xffffffff80000000ull
#define DEFAULT_KERNEL_IMAGE_SIZE (1ull << 30)
#define PTE_PRESENT 0x1ull
#define PTE_HUGE 0x80ull
#define PTE_ADDR_MASK 0x000ffffffffff000ull
#define TLB_ENTRIES 64

struct tlb_entry {
	uint64_t vpage; /* vaddr >> 12, + 1 so that 0 means empty */
	uint64_t ppage;
};

struct kt_arch_state {
	uint64_t top_pgt_paddr;
	int levels;               /* 4 or 5 */
	uint64_t kernel_image_size;
	uint64_t page_offset_base;/* 0 until found */
	uint64_t direct_map_size; /* bytes the linear fast path may cover */
	uint64_t sme_mask;
	struct tlb_entry tlb[TLB_ENTRIES];
};

static bool in_kernel_image(const struct kt_arch_state *a, uint64_t vaddr)
{
	return vaddr >= START_KERNEL_MAP &&
	       vaddr - START_KERNEL_MAP < a->kernel_image_size;
}

static uint64_t image_to_phys(const struct kt_kernel *k, uint64_t vaddr)
{
	return vaddr - START_KERNEL_MAP + (uint64_t)k->phys_base;
}

static const char *const level_names[] = { "PTE", "PMD", "PUD", "P4D", "PGD" };

static struct kt_error *walk(struct kt_kernel *k, uint64_t vaddr,
			     uint64_t *paddr)
{
	struct kt_arch_state *a = k->arch_state;
	uint64_t table = a->top_pgt_paddr;
	uint64_t mask = PTE_ADDR_MASK & ~a->sme_mask;
	for (int level = a->levels - 1; level >= 0; level--) {
		int shift = 12 + 9 * level;
		uint64_t index = (vaddr >> shift) & 511;
		uint64_t entry;
		struct kt_error *err = kt_dump_read_phys(k->dump, table + index * 8,
							 &entry, sizeof(entry));
		const char *name = level_names[level + (a->levels == 4 && level == 3)];
		if (err)
			return kt_error_wrap(err, "address 0x%llx: reading the %s",
					     (unsigned long long)vaddr, name);
		if (!(entry & PTE_PRESENT))
			return kt_error_create(KT_ERR_FAULT,
					       "address 0x%llx: %s entry 0x%llx is not present",
					       (unsigned long long)vaddr, name,
					       (unsigned long long)entry);
		uint64_t next = entry & mask;
		if (level == 0 || ((level == 1 || level == 2) && (entry & PTE_HUGE))) {
			uint64_t page_mask = (1ull << shift) - 1;
			*paddr = (next & ~page_mask) | (vaddr & page_mask);
			return NULL;
		}
		table = next;
	}
	return kt_error_create(KT_ERR_FAULT, "address 0x%llx: no leaf entry",
			       (unsigned long long)vaddr);
}

static struct kt_error *x86_64_translate(struct kt_kernel *k, uint64_t vaddr,
					 uint64_t *paddr)
{
	struct kt_arch_state *a = k->arch_state;
	if (in_kernel_image(a, vaddr)) {
		*paddr = image_to_phys(k, vaddr);
		return NULL;
	}
	if (a->page_offset_base && vaddr >= a->page_offset_base &&
	    vaddr - a->page_offset_base < a->direct_map_size) {
		*paddr = vaddr - a->page_offset_base;
		return NULL;
	}
	struct tlb_entry *t = &a->tlb[(vaddr >> 12) % TLB_ENTRIES];
	if (t->vpage == (vaddr >> 12) + 1) {
		*paddr = (t->ppage << 12) | (vaddr & 0xfff);
		return NULL;
	}
	struct kt_error *err = walk(k, vaddr, paddr);
	if (err)
		return err;
	t->vpage = (vaddr >> 12) + 1;
	t->ppage = *paddr >> 12;
	return NULL;
}

static uint64_t x86_64_phys_to_virt(const struct kt_kernel *k, uint64_t paddr)
{
	return k->arch_state->page_offset_base + paddr;
}

static bool x86_64_is_kernel_address(const struct kt_kernel *k, uint64_t vaddr)
{
	/* The upper half of a canonical 48- or 57-bit address space. */
	int bits = k->arch_state->levels == 5 ? 57 : 48;
	return (vaddr >> (bits - 1)) == (UINT64_MAX >> (bits - 1));
}

/*
 * page_offset_base is a variable; the direct map then covers physical
 * memory up to the dump's last pfn.  Without the symbol, walks still work.
 */
static void find_direct_map(struct kt_kernel *k)
{
	struct kt_arch_state *a = k->arch_state;
	uint64_t addr, base;
	struct kt_error *err = kt_kernel_symbol(k, "page_offset_base", &addr);
	if (!err)
		err = kt_dump_read_phys(k->dump, image_to_phys(k, addr), &base,
					sizeof(base));
	if (err) {
		kt_kernel_warn(k, "page_offset_base not found (%s): the direct map is walked through page tables",
			       kt_error_string(err));
		kt_error_free(err);
		return;
	}
	if (!x86_64_is_kernel_address(k, base) || (base & ((1ull << 30) - 1))) {
		kt_kernel_warn(k, "page_offset_base 0x%llx is implausible; ignored",
			       (unsigned long long)base);
		return;
	}
	a->page_offset_base = base;
	a->direct_map_size = kt_dump_info(k->dump)->max_pfn * k->page_size;
}

static struct kt_error *x86_64_init(struct kt_kernel *k)
{
	struct kt_arch_state *a = calloc(1, sizeof(*a));
	if (!a)
		return &kt_error_out_of_memory;
	k->arch_state = a;
	int64_t n;
	a->levels = kt_vmcoreinfo_number(k->vmcoreinfo, "pgtable_l5_enabled", &n) && n ? 5 : 4;
	a->kernel_image_size = DEFAULT_KERNEL_IMAGE_SIZE;
	if (kt_vmcoreinfo_number(k->vmcoreinfo, "KERNEL_IMAGE_SIZE", &n) && n > 0 &&
	    (uint64_t)n <= DEFAULT_KERNEL_IMAGE_SIZE)
		a->kernel_image_size = (uint64_t)n;
	if (kt_vmcoreinfo_number(k->vmcoreinfo, "sme_mask", &n))
		a->sme_mask = (uint64_t)n;
	uint64_t top;
	if (!kt_vmcoreinfo_symbol(k->vmcoreinfo, "init_top_pgt", &top) &&
	    !kt_vmcoreinfo_symbol(k->vmcoreinfo, "swapper_pg_dir", &top))
		return kt_error_create(KT_ERR_NOT_FOUND,
				       "VMCOREINFO has no SYMBOL(init_top_pgt): cannot walk page tables");
	if (!in_kernel_image(a, top))
		return kt_error_create(KT_ERR_INVALID,
				       "init_top_pgt 0x%llx is outside the kernel image",
				       (unsigned long long)top);
	a->top_pgt_paddr = image_to_phys(k, top);
	return NULL;
}

static struct kt_error *x86_64_late_init(struct kt_kernel *k)
{
	find_direct_map(k);
	return NULL;
}

static void x86_64_destroy(struct kt_kernel *k)
{
	free(k->arch_state);
	k->arch_state = NULL;
}

static void x86_64_prstatus_registers(const struct kt_prstatus *p,
				      struct kt_regs *regs)
{
	memset(regs, 0, sizeof(*regs));
	/* user_regs_struct starts with the same 21 registers as struct kt_regs. */
	size_t n = 21 * sizeof(uint64_t);
	memcpy(regs, p->regs, p->regs_size < n ? p->regs_size : n);
}

const struct kt_arch_ops kt_arch_x86_64 = {
	.name = "x86_64",
	.init = x86_64_init,
	.late_init = x86_64_late_init,
	.translate = x86_64_translate,
	.phys_to_virt = x86_64_phys_to_virt,
	.is_kernel_address = x86_64_is_kernel_address,
	.destroy = x86_64_destroy,
	.prstatus_registers = x86_64_prstatus_registers,
	.unwind_regs = kt_x86_64_unwind_regs,
	.unwind_saved = kt_x86_64_unwind_saved,
};
