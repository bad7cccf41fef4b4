// SPDX-License-Identifier: MIT
/*
 * arm64 stage-1 translation tables (the Arm ARM's VMSAv8-64), as the
 * kernel lays them out for TTBR1: a granule of 4, 16 or 64 KiB, each level
 * indexing page_shift - 3 bits of the address, as many levels as the VA
 * size needs (arch/arm64/include/asm/pgtable-hwdef.h,
 * ARM64_HW_PGTABLE_LEVELS).  Blocks end a walk early one or two levels
 * above the pages.  The reader is a parameter so tests walk tables they
 * built; nothing from the dump is trusted: entries are checked for the
 * valid and table bits, and a walk is at most five reads.
 */
#include <string.h>

#include "arch_arm64.h"

#define DESC_VALID 0x1ull
#define DESC_TABLE 0x2ull   /* above the last level: table, not block */
#define MAX_LEVELS 5

unsigned kt_arm64_levels(const struct kt_arm64_mmu *mmu)
{
	unsigned per_level = mmu->page_shift - 3;
	return (mmu->va_bits - mmu->page_shift + per_level - 1) / per_level;
}

bool kt_arm64_mmu_valid(const struct kt_arm64_mmu *mmu)
{
	if (mmu->page_shift != 12 && mmu->page_shift != 14 && mmu->page_shift != 16)
		return false;
	if (mmu->va_bits < 36 || mmu->va_bits > 52)
		return false;
	unsigned levels = kt_arm64_levels(mmu);
	return levels >= 1 && levels <= MAX_LEVELS;
}

/*
 * The output address of a table, block or page descriptor.  Bits 47 down
 * to the granule always; with 64K pages OA[51:48] sits in bits 15:12
 * (FEAT_LPA, RES0 otherwise), with LPA2 OA[51:50] in bits 9:8 (which are
 * shareability bits without it, hence the flag).
 */
static uint64_t output_address(const struct kt_arm64_mmu *mmu, uint64_t desc)
{
	uint64_t low_mask = ~((1ull << mmu->page_shift) - 1);
	if (mmu->page_shift == 16)
		return (desc & 0x0000ffffffff0000ull) | ((desc >> 12 & 0xf) << 48);
	if (mmu->lpa2)
		return (desc & 0x0003fffffffff000ull & low_mask) | ((desc >> 8 & 0x3) << 50);
	return desc & 0x0000fffffffff000ull & low_mask;
}

static unsigned index_bits(const struct kt_arm64_mmu *mmu, unsigned level,
			   unsigned levels)
{
	unsigned per_level = mmu->page_shift - 3;
	if (level + 1 < levels)
		return per_level;
	return mmu->va_bits - mmu->page_shift - per_level * (levels - 1);
}

struct kt_error *kt_arm64_walk(const struct kt_arm64_mmu *mmu,
			       kt_arm64_read_fn read, void *context,
			       uint64_t vaddr, uint64_t *paddr)
{
	if (!kt_arm64_mmu_valid(mmu))
		return kt_error_create(KT_ERR_UNSUPPORTED,
				       "arm64: %u-bit VAs with %u KiB pages are not a translation regime",
				       mmu->va_bits, (1u << mmu->page_shift) >> 10);
	unsigned levels = kt_arm64_levels(mmu);
	uint64_t table = mmu->root;
	for (unsigned level = levels; level-- > 0;) {
		unsigned shift = mmu->page_shift + (mmu->page_shift - 3) * level;
		uint64_t index = (vaddr >> shift) & ((1ull << index_bits(mmu, level, levels)) - 1);
		uint64_t desc;
		struct kt_error *err = read(context, table + index * 8, &desc);
		if (err)
			return kt_error_wrap(err, "address 0x%llx: reading the level %u table",
					     (unsigned long long)vaddr, levels - 1 - level);
		if (!(desc & DESC_VALID))
			return kt_error_create(KT_ERR_FAULT,
					       "address 0x%llx: level %u entry 0x%llx is not valid",
					       (unsigned long long)vaddr, levels - 1 - level,
					       (unsigned long long)desc);
		bool leaf = level == 0 || !(desc & DESC_TABLE);
		if (level == 0 && !(desc & DESC_TABLE))
			return kt_error_create(KT_ERR_FAULT,
					       "address 0x%llx: page entry 0x%llx is reserved",
					       (unsigned long long)vaddr, (unsigned long long)desc);
		if (leaf && level > 2)
			return kt_error_create(KT_ERR_FAULT,
					       "address 0x%llx: block entry 0x%llx at level %u",
					       (unsigned long long)vaddr, (unsigned long long)desc,
					       levels - 1 - level);
		uint64_t next = output_address(mmu, desc);
		if (leaf) {
			uint64_t in_block = (1ull << shift) - 1;
			*paddr = (next & ~in_block) | (vaddr & in_block);
			return NULL;
		}
		table = next;
	}
	return kt_error_create(KT_ERR_FAULT, "address 0x%llx: no leaf entry",
			       (unsigned long long)vaddr);
}

uint64_t kt_arm64_strip_pac(uint64_t address, uint64_t pac_mask)
{
	/* Kernel pointers have the PAC field all ones (ptrauth_strip_kernel_insn_pac);
	 * 0 is the end of the chain, not an address. */
	return address ? address | pac_mask : 0;
}

void kt_arm64_regs_from_words(const uint64_t *words, struct kt_regs *regs)
{
	memset(regs, 0, sizeof(*regs));
	memcpy(regs->x, words, sizeof(regs->x));
	regs->sp = words[31];
	regs->ip = words[32];
	regs->pstate = words[33];
	regs->flags = regs->pstate;
	regs->bp = regs->x[29];
}
