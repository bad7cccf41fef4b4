// SPDX-License-Identifier: MIT
/*
 * arm64 address translation (arch/arm64/include/asm/memory.h).
 *
 * VMCOREINFO gives what the kernel computed at boot: VA_BITS, kimage_voffset
 * (kernel image virtual minus physical, KASLR included), PHYS_OFFSET (the
 * physical address the linear map starts from), TCR_EL1_T1SZ and
 * KERNELPACMASK.  The kernel image then maps linearly (paddr = vaddr -
 * kimage_voffset), which is all the bootstrap needs for kallsyms and static
 * variables; swapper_pg_dir is one of them, and everything else (vmalloc,
 * modules, per-CPU, vmap'ed stacks) is walked from it (arch_arm64_pgtable.c).
 * The linear map, [PAGE_OFFSET, PAGE_END), is a subtraction once a walk has
 * confirmed where it is: 5.4 moved it from the top half of the kernel's
 * space to the bottom, and no release string is trusted to say which.
 */
#include <stdlib.h>
#include <string.h>

#include "arch_arm64.h"

#define TLB_ENTRIES 64
#define LOOSE_IMAGE_SIZE (128ull << 20) /* until _end is known */
#define IMAGE_ALIGN (2ull << 20)

struct tlb_entry {
	uint64_t vpage; /* vaddr >> page_shift, + 1 so that 0 means empty */
	uint64_t ppage;
};

struct kt_arch_state {
	struct kt_arm64_mmu mmu;
	uint64_t kimage_voffset;
	uint64_t phys_offset;
	uint64_t pac_mask;
	uint64_t image_start, image_end;
	uint64_t page_offset, page_end;  /* the linear map; page_end 0 until confirmed */
	struct kt_arm64_data_symbols data_symbols;
	struct tlb_entry tlb[TLB_ENTRIES];
};

static bool in_image(const struct kt_arch_state *a, uint64_t vaddr)
{
	return vaddr >= a->image_start && vaddr < a->image_end;
}

static struct kt_error *read_phys_word(void *context, uint64_t paddr, uint64_t *value)
{
	struct kt_kernel *k = context;
	return kt_dump_read_phys(k->dump, paddr, value, sizeof(*value));
}

static struct kt_error *arm64_translate(struct kt_kernel *k, uint64_t vaddr,
					uint64_t *paddr)
{
	struct kt_arch_state *a = k->arch_state;
	if (in_image(a, vaddr)) {
		*paddr = vaddr - a->kimage_voffset;
		return NULL;
	}
	if (a->page_end && vaddr >= a->page_offset && vaddr < a->page_end) {
		*paddr = vaddr - a->page_offset + a->phys_offset;
		return NULL;
	}
	unsigned shift = a->mmu.page_shift;
	struct tlb_entry *t = &a->tlb[(vaddr >> shift) % TLB_ENTRIES];
	if (t->vpage == (vaddr >> shift) + 1) {
		*paddr = (t->ppage << shift) | (vaddr & ((1ull << shift) - 1));
		return NULL;
	}
	struct kt_error *err = kt_arm64_walk(&a->mmu, read_phys_word, k, vaddr, paddr);
	if (err)
		return err;
	t->vpage = (vaddr >> shift) + 1;
	t->ppage = *paddr >> shift;
	return NULL;
}

static uint64_t arm64_phys_to_virt(const struct kt_kernel *k, uint64_t paddr)
{
	const struct kt_arch_state *a = k->arch_state;
	return paddr - a->phys_offset + a->page_offset;
}

static bool arm64_is_kernel_address(const struct kt_kernel *k, uint64_t vaddr)
{
	unsigned bits = k->arch_state->mmu.va_bits;
	return (vaddr >> bits) == (UINT64_MAX >> bits);
}

static bool vmcoreinfo_hex(struct kt_kernel *k, const char *key, uint64_t *value)
{
	return kt_vmcoreinfo_u64(k->vmcoreinfo, key, 0, value);
}

/* Does a walk of the tables agree with vaddr -> paddr? */
static bool walk_agrees(struct kt_kernel *k, uint64_t vaddr, uint64_t paddr)
{
	uint64_t got;
	struct kt_error *err = kt_arm64_walk(&k->arch_state->mmu, read_phys_word, k,
					     vaddr, &got);
	kt_error_free(err);
	return !err && got == paddr;
}

/*
 * Which table layout maps _stext where kimage_voffset says: the VA size the
 * kernel was built for, or (52-bit kernels on 48-bit hardware) the one
 * TCR_EL1.T1SZ says; 4K/16K 52-bit output addresses with or without LPA2.
 */
static bool choose_layout(struct kt_kernel *k, uint64_t stext, uint64_t t1sz)
{
	struct kt_arm64_mmu *mmu = &k->arch_state->mmu;
	struct kt_arm64_mmu first = *mmu;
	unsigned sizes[2] = { first.va_bits, t1sz && t1sz < 64 ? 64 - (unsigned)t1sz : 0 };
	uint64_t paddr = stext - k->arch_state->kimage_voffset;
	/* 52-bit VAs at run time with 4K/16K pages mean LPA2 descriptors. */
	int lpa2_first = sizes[1] == 52 && mmu->page_shift != 16;
	for (int s = 0; s < 2; s++) {
		for (int lpa2 = 0; lpa2 < 2; lpa2++) {
			mmu->va_bits = sizes[s];
			mmu->lpa2 = lpa2 ^ lpa2_first;
			if (sizes[s] && kt_arm64_mmu_valid(mmu) && walk_agrees(k, stext, paddr))
				return true;
		}
	}
	*mmu = first;
	return false;
}

/*
 * Where the image's mapping ends (_end is no symbol without KALLSYMS_ALL):
 * the first 64 KiB step (SEGMENT_ALIGN) past _stext that the tables do not
 * map at vaddr - kimage_voffset.  vmalloc may follow right after it.
 */
static void find_image_end(struct kt_kernel *k)
{
	struct kt_arch_state *a = k->arch_state;
	const uint64_t step = 64u << 10;
	for (uint64_t v = a->image_start; v < a->image_start + LOOSE_IMAGE_SIZE; v += step) {
		if (!walk_agrees(k, v, v - a->kimage_voffset) &&
		    !walk_agrees(k, v + step - k->page_size, v + step - k->page_size - a->kimage_voffset)) {
			if (v > a->image_start)
				a->image_end = v;
			return;
		}
	}
}

/* Where the linear map is: below the image since 5.4, the top half before. */
static void find_linear_map(struct kt_kernel *k, uint64_t stext)
{
	struct kt_arch_state *a = k->arch_state;
	unsigned bits = a->mmu.va_bits, min_bits = bits > 48 ? 48 : bits;
	uint64_t paddr = stext - a->kimage_voffset;
	uint64_t starts[2] = { -(1ull << bits), -(1ull << (bits - 1)) };
	uint64_t ends[2] = { -(1ull << (min_bits - 1)), UINT64_MAX };
	for (int i = 0; i < 2; i++) {
		if (walk_agrees(k, paddr - a->phys_offset + starts[i], paddr)) {
			a->page_offset = starts[i];
			a->page_end = ends[i];
			return;
		}
	}
	a->page_offset = starts[0];
	kt_kernel_warn(k, "arm64: the linear map is not where PHYS_OFFSET puts it; every address is walked");
}

static struct kt_error *read_layout(struct kt_kernel *k, struct kt_arch_state *a,
				    uint64_t *t1sz)
{
	uint64_t va_bits;
	if (!vmcoreinfo_hex(k, "NUMBER(VA_BITS)", &va_bits) ||
	    !vmcoreinfo_hex(k, "NUMBER(kimage_voffset)", &a->kimage_voffset) ||
	    !vmcoreinfo_hex(k, "NUMBER(PHYS_OFFSET)", &a->phys_offset))
		return kt_error_create(KT_ERR_NOT_FOUND,
				       "VMCOREINFO lacks NUMBER(VA_BITS), NUMBER(kimage_voffset) or NUMBER(PHYS_OFFSET): arm64 addresses cannot be translated");
	if (!vmcoreinfo_hex(k, "NUMBER(TCR_EL1_T1SZ)", t1sz))
		*t1sz = 0;
	a->mmu.page_shift = k->page_size ? (unsigned)__builtin_ctz(k->page_size) : 0;
	a->mmu.va_bits = va_bits <= 64 ? (unsigned)va_bits : 0;
	if (!kt_arm64_mmu_valid(&a->mmu))
		return kt_error_create(KT_ERR_INVALID,
				       "arm64: VA_BITS %llu with %u-byte pages is not a translation regime",
				       (unsigned long long)va_bits, k->page_size);
	if (vmcoreinfo_hex(k, "NUMBER(KERNELPACMASK)", &a->pac_mask) &&
	    (a->pac_mask & ((1ull << a->mmu.va_bits) - 1))) {
		kt_kernel_warn(k, "arm64: KERNELPACMASK 0x%llx covers address bits; ignored",
			       (unsigned long long)a->pac_mask);
		a->pac_mask = 0;
	}
	return NULL;
}

static struct kt_error *arm64_init(struct kt_kernel *k)
{
	struct kt_arch_state *a = calloc(1, sizeof(*a));
	if (!a)
		return &kt_error_out_of_memory;
	k->arch_state = a;
	uint64_t t1sz, stext, swapper;
	struct kt_error *err = read_layout(k, a, &t1sz);
	if (err)
		return err;
	if (!kt_vmcoreinfo_symbol(k->vmcoreinfo, "_stext", &stext) ||
	    !kt_vmcoreinfo_symbol(k->vmcoreinfo, "swapper_pg_dir", &swapper))
		return kt_error_create(KT_ERR_NOT_FOUND,
				       "VMCOREINFO has no SYMBOL(_stext) or SYMBOL(swapper_pg_dir): cannot walk arm64 page tables");
	if (!arm64_is_kernel_address(k, stext))
		return kt_error_create(KT_ERR_INVALID, "arm64: _stext 0x%llx is not a kernel address",
				       (unsigned long long)stext);
	a->image_start = stext & ~(IMAGE_ALIGN - 1);
	a->image_end = a->image_start + LOOSE_IMAGE_SIZE;
	if (a->image_end < a->image_start || !in_image(a, swapper))
		return kt_error_create(KT_ERR_INVALID,
				       "arm64: swapper_pg_dir 0x%llx is outside the kernel image at 0x%llx",
				       (unsigned long long)swapper, (unsigned long long)stext);
	a->mmu.root = swapper - a->kimage_voffset;
	if (!choose_layout(k, stext, t1sz))
		kt_kernel_warn(k, "arm64: the page tables do not map _stext where kimage_voffset says; addresses outside the image may be wrong");
	else
		find_image_end(k);
	find_linear_map(k, stext);
	return NULL;
}

/* With symbols: the image is exactly _text.._end, not the loose guess. */
static struct kt_error *arm64_late_init(struct kt_kernel *k)
{
	struct kt_arch_state *a = k->arch_state;
	uint64_t text, end;
	struct kt_error *err = kt_symbol_address(k, "_text", &text);
	if (!err)
		err = kt_symbol_address(k, "_end", &end);
	if (err) {
		kt_error_free(err);
		return NULL;
	}
	if (text + IMAGE_ALIGN >= a->image_start && text <= a->image_start + IMAGE_ALIGN &&
	    end > text && end - text <= LOOSE_IMAGE_SIZE * 4)
		a->image_start = text, a->image_end = end;
	return NULL;
}

static void arm64_destroy(struct kt_kernel *k)
{
	free(k->arch_state);
	k->arch_state = NULL;
}

static void arm64_prstatus_registers(const struct kt_prstatus *p, struct kt_regs *regs)
{
	uint64_t words[34] = { 0 };
	size_t n = p->regs_size < sizeof(words) ? p->regs_size : sizeof(words);
	memcpy(words, p->regs, n);
	kt_arm64_regs_from_words(words, regs);
}

const char *const kt_arm64_register_names[31] = {
	"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
	"x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20",
	"x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30",
};

bool kt_kernel_is_arm64(const struct kt_kernel *k)
{
	return k->arch == &kt_arch_arm64;
}

uint64_t kt_arm64_pac_mask(const struct kt_kernel *k)
{
	return k->arch_state->pac_mask;
}

struct kt_arm64_data_symbols *kt_arm64_data_symbols(struct kt_kernel *k)
{
	return &k->arch_state->data_symbols;
}

void kt_arm64_image(const struct kt_kernel *k, uint64_t *start, uint64_t *end)
{
	*start = k->arch_state->image_start;
	*end = k->arch_state->image_end;
}

bool kt_arm64_in_image(const struct kt_kernel *k, uint64_t address)
{
	return in_image(k->arch_state, address);
}

/* __per_cpu_offset[] holds a non-zero offset for each possible CPU only. */
static unsigned arm64_count_cpus(struct kt_kernel *k)
{
	uint64_t offsets, offset;
	struct kt_error *err = kt_symbol_address(k, "__per_cpu_offset", &offsets);
	unsigned n = 0;
	while (!err && n < KT_MAX_CPUS) {
		err = kt_kernel_read_u64(k, offsets + n * 8ull, &offset);
		if (err || !offset)
			break;
		n++;
	}
	kt_error_free(err);
	return n;
}

/* arch/arm64/include/asm/memory.h: 16 KiB, or a page with VMAP_STACK and bigger pages. */
static uint64_t arm64_default_thread_size(const struct kt_kernel *k)
{
	return k->page_size > (16u << 10) ? k->page_size : (16u << 10);
}

unsigned kt_arm64_va_bits(const struct kt_kernel *k)
{
	return k->arch_state->mmu.va_bits;
}

const struct kt_arch_ops kt_arch_arm64 = {
	.name = "arm64",
	.init = arm64_init,
	.late_init = arm64_late_init,
	.translate = arm64_translate,
	.phys_to_virt = arm64_phys_to_virt,
	.is_kernel_address = arm64_is_kernel_address,
	.destroy = arm64_destroy,
	.prstatus_registers = arm64_prstatus_registers,
	.unwind_regs = kt_arm64_unwind_regs,
	.unwind_saved = kt_arm64_unwind_saved,
	.recover_symbol = kt_arm64_recover_symbol,
	.recovered_symbol_at = kt_arm64_recovered_symbol_at,
	.count_cpus = arm64_count_cpus,
	.default_thread_size = arm64_default_thread_size,
};
