// SPDX-License-Identifier: MIT
/*
 * arm64 without a dump: translation tables built in memory for every
 * granule and VA size the kernel supports (blocks, pages, invalid and
 * reserved entries, 52-bit output addresses); stacks of frame records with
 * an exception's pt_regs, PAC-signed return addresses, a leaf's pending
 * link register, the final record with user registers, and chains that go
 * wrong; and the globals a function's ADRP pairs name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../lib/kernel/arch_arm64.h"

/* ---- A sparse memory: physical for tables, virtual for stacks -------- */

#define MEMORY_WORDS (1u << 15)  /* 256 KiB: three 64K tables and the root */

struct memory {
	uint64_t base;               /* first address */
	uint64_t words[MEMORY_WORDS];
	unsigned reads;
};

static struct kt_error *memory_read(void *context, uint64_t address, uint64_t *value)
{
	struct memory *m = context;
	m->reads++;
	if (address < m->base || (address - m->base) / 8 >= MEMORY_WORDS || (address & 7))
		return kt_error_create(KT_ERR_FAULT, "0x%llx is outside the test memory",
				       (unsigned long long)address);
	*value = m->words[(address - m->base) / 8];
	return NULL;
}

static void poke(struct memory *m, uint64_t address, uint64_t value)
{
	assert_true(address >= m->base && (address - m->base) / 8 < MEMORY_WORDS);
	m->words[(address - m->base) / 8] = value;
}

/* ---- Translation tables ---------------------------------------------- */

/*
 * Tables for mmu at physical 0, 1 page each, placed one after another;
 * vaddr maps to paddr with a leaf `from_leaf` levels above the pages
 * (0: a page, 1 or 2: a block).
 */
static void build_tables(struct memory *m, const struct kt_arm64_mmu *mmu,
			 uint64_t vaddr, uint64_t paddr, unsigned from_leaf)
{
	unsigned levels = kt_arm64_levels(mmu), per_level = mmu->page_shift - 3;
	uint64_t page = 1ull << mmu->page_shift, table = mmu->root;
	for (unsigned level = levels; level-- > from_leaf;) {
		unsigned shift = mmu->page_shift + per_level * level;
		unsigned bits = level + 1 == levels ?
			mmu->va_bits - mmu->page_shift - per_level * (levels - 1) : per_level;
		uint64_t index = (vaddr >> shift) & ((1ull << bits) - 1);
		uint64_t entry_at = table + index * 8;
		if (level == from_leaf) {
			uint64_t out = paddr & ~((1ull << shift) - 1);
			poke(m, entry_at, out | (level ? 0x1 : 0x3) | 0x700 /* AF, SH */);
			return;
		}
		table += page;
		poke(m, entry_at, table | 0x3);
	}
}

static uint64_t kernel_address(const struct kt_arm64_mmu *mmu, uint64_t offset)
{
	return -(1ull << mmu->va_bits) + offset;
}

static struct memory *new_memory(uint64_t base)
{
	struct memory *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	m->base = base;
	return m;
}

static void expect_walk(const struct kt_arm64_mmu *mmu, struct memory *m,
			uint64_t vaddr, uint64_t paddr)
{
	uint64_t got = 0;
	struct kt_error *err = kt_arm64_walk(mmu, memory_read, m, vaddr, &got);
	if (err) {
		print_error("%u-bit VA, %u KiB pages, 0x%llx: %s\n", mmu->va_bits,
			    (1u << mmu->page_shift) >> 10, (unsigned long long)vaddr,
			    kt_error_string(err));
		fail();
	}
	if (got != paddr) {
		print_error("%u-bit VA, %u KiB pages: 0x%llx -> 0x%llx, expected 0x%llx\n",
			    mmu->va_bits, (1u << mmu->page_shift) >> 10, (unsigned long long)vaddr,
			    (unsigned long long)got, (unsigned long long)paddr);
		fail();
	}
}

static const struct { unsigned shift, va_bits, levels; } regimes[] = {
	{ 12, 39, 3 }, { 12, 48, 4 }, { 12, 52, 5 }, { 14, 36, 2 }, { 14, 47, 3 },
	{ 14, 48, 4 }, { 16, 42, 2 }, { 16, 48, 3 }, { 16, 52, 3 },
};
#define NR_REGIMES (sizeof(regimes) / sizeof(regimes[0]))

static void pages_in_each_regime(void **state)
{
	for (size_t i = 0; i < NR_REGIMES; i++) {
		struct kt_arm64_mmu mmu = { regimes[i].shift, regimes[i].va_bits, false, 0 };
		assert_true(kt_arm64_mmu_valid(&mmu));
		assert_int_equal(kt_arm64_levels(&mmu), regimes[i].levels);
		struct memory *m = new_memory(0);
		uint64_t in_page = 0x18, vaddr = kernel_address(&mmu, 0x12345ull << mmu.page_shift) + in_page;
		uint64_t paddr = (0x40000ull << mmu.page_shift) + in_page;
		build_tables(m, &mmu, vaddr, paddr, 0);
		expect_walk(&mmu, m, vaddr, paddr);
		/* The next page has no entry: the walk says which level. */
		uint64_t got;
		struct kt_error *err = kt_arm64_walk(&mmu, memory_read, m,
						     vaddr + (1ull << mmu.page_shift), &got);
		assert_non_null(err);
		assert_int_equal(err->code, KT_ERR_FAULT);
		assert_non_null(strstr(kt_error_string(err), "is not valid"));
		kt_error_free(err);
		free(m);
	}
}

static void blocks_one_and_two_levels_up(void **state)
{
	for (size_t i = 0; i < NR_REGIMES; i++) {
		for (unsigned up = 1; up <= 2 && up < regimes[i].levels; up++) {
			struct kt_arm64_mmu mmu = { regimes[i].shift, regimes[i].va_bits, false, 0 };
			unsigned block_shift = mmu.page_shift + (mmu.page_shift - 3) * up;
			if (block_shift >= 48)
				continue;
			struct memory *m = new_memory(0);
			uint64_t inside = 0x1234 & ((1ull << block_shift) - 1);
			uint64_t vaddr = kernel_address(&mmu, 3ull << block_shift) + inside;
			uint64_t paddr = (1ull << 47) + inside;
			build_tables(m, &mmu, vaddr, paddr, up);
			expect_walk(&mmu, m, vaddr, paddr);
			free(m);
		}
	}
}

/* A page descriptor with bit 1 clear is reserved, not a block. */
static void reserved_page_entry_is_refused(void **state)
{
	struct kt_arm64_mmu mmu = { 12, 48, false, 0 };
	struct memory *m = new_memory(0);
	uint64_t vaddr = kernel_address(&mmu, 0x5000);
	build_tables(m, &mmu, vaddr, 0x40005000, 0);
	for (size_t w = 0; w < MEMORY_WORDS; w++)
		if ((m->words[w] & ~0xfffull) == 0x40005000)
			m->words[w] &= ~0x2ull;
	uint64_t got;
	struct kt_error *err = kt_arm64_walk(&mmu, memory_read, m, vaddr, &got);
	assert_non_null(err);
	assert_non_null(strstr(kt_error_string(err), "reserved"));
	kt_error_free(err);
	free(m);
}

/* 52-bit output: 64K pages keep OA[51:48] in bits 15:12, LPA2 OA[51:50] in 9:8. */
static void high_output_address_bits(void **state)
{
	struct kt_arm64_mmu mmu64 = { 16, 48, false, 0 };
	struct memory *m = new_memory(0);
	uint64_t vaddr = kernel_address(&mmu64, 0x70000);
	build_tables(m, &mmu64, vaddr, 0, 0);
	for (size_t w = 0; w < MEMORY_WORDS; w++)
		if ((m->words[w] & 3) == 3 && (m->words[w] & ~0xffffull) == 0 && w * 8 >= 0x20000)
			m->words[w] |= 0x5ull << 12; /* OA[51:48] = 5 */
	expect_walk(&mmu64, m, vaddr, 5ull << 48);
	free(m);

	struct kt_arm64_mmu lpa2 = { 12, 52, true, 0 };
	m = new_memory(0);
	vaddr = kernel_address(&lpa2, 0x3000);
	build_tables(m, &lpa2, vaddr, 0x7000, 0);
	for (size_t w = 0; w < MEMORY_WORDS; w++)
		if ((m->words[w] & ~0xfffull) == 0x7000)
			m->words[w] = (m->words[w] & ~0x300ull) | (0x2ull << 8); /* OA[51:50] = 2 */
	expect_walk(&lpa2, m, vaddr, (2ull << 50) | 0x7000);
	free(m);
}

static void impossible_regimes_are_refused(void **state)
{
	static const struct kt_arm64_mmu bad[] = {
		{ 13, 48, false, 0 }, { 12, 30, false, 0 }, { 12, 53, false, 0 }, { 16, 64, false, 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(kt_arm64_mmu_valid(&bad[i]));
		uint64_t got;
		struct kt_error *err = kt_arm64_walk(&bad[i], memory_read, NULL, 0, &got);
		assert_non_null(err);
		assert_int_equal(err->code, KT_ERR_UNSUPPORTED);
		kt_error_free(err);
	}
}

/* ---- Frame records --------------------------------------------------- */

#define STACK 0xffff800010000000ull
#define TEXT 0xffffd00000000000ull
#define PAC_MASK 0xffff000000000000ull
#define MAX_TEST_FRAMES 16

struct frames {
	struct memory *memory;
	struct kt_arm64_frame frame[MAX_TEST_FRAMES];
	struct kt_regs regs[MAX_TEST_FRAMES];
	size_t count;
};

static bool test_is_text(void *context, uint64_t address)
{
	return address >= TEXT && address < TEXT + 0x100000;
}

/* Functions every 256 bytes of the test text. */
static uint64_t test_function_start(void *context, uint64_t address)
{
	return test_is_text(context, address) ? address & ~0xffull : 0;
}

static struct kt_error *test_frame(void *context, const struct kt_arm64_frame *f)
{
	struct frames *fr = context;
	if (fr->count >= MAX_TEST_FRAMES)
		return kt_error_create(KT_ERR_INVALID, "more than %d frames", MAX_TEST_FRAMES);
	fr->frame[fr->count] = *f;
	if (f->regs) {
		fr->regs[fr->count] = *f->regs;
		fr->frame[fr->count].regs = &fr->regs[fr->count];
	}
	fr->count++;
	return NULL;
}

static struct kt_error *frames_read(void *context, uint64_t address, uint64_t *value)
{
	return memory_read(((struct frames *)context)->memory, address, value);
}

static struct kt_arm64_unwinder test_unwinder(struct frames *fr)
{
	struct kt_arm64_unwinder u = {
		.read = frames_read, .is_text = test_is_text,
		.function_start = test_function_start, .frame = test_frame,
		.context = fr, .pac_mask = PAC_MASK, .thread_size = 16384, .va_bits = 48,
		.layout = { .size = 336, .stackframe = 304, .meta_type = 0 },
	};
	return u;
}

/* A return address as a PAC-enabled kernel stores it: a signature on top. */
static uint64_t signed_lr(uint64_t address)
{
	return (address & ~PAC_MASK) | 0x002d000000000000ull;
}

static void record(struct memory *m, uint64_t at, uint64_t fp, uint64_t lr)
{
	poke(m, at, fp);
	poke(m, at + 8, lr);
}

/* A struct pt_regs (x0-x30, sp, pc, pstate first) whose stackframe is at `record_at`. */
static void pt_regs(struct memory *m, uint64_t record_at, uint64_t pc, uint64_t sp,
		    uint64_t x29, uint64_t x30, uint64_t pstate)
{
	uint64_t base = record_at - 304;
	for (unsigned i = 0; i < 29; i++)
		poke(m, base + i * 8, 0x1000 + i);
	poke(m, base + 29 * 8, x29);
	poke(m, base + 30 * 8, x30);
	poke(m, base + 31 * 8, sp);
	poke(m, base + 32 * 8, pc);
	poke(m, base + 33 * 8, pstate);
}

static void expect_frame(const struct frames *fr, size_t i, uint64_t pc, bool exact,
			 bool with_regs)
{
	if (i >= fr->count || fr->frame[i].pc != pc || fr->frame[i].exact != exact ||
	    (fr->frame[i].regs != NULL) != with_regs) {
		print_error("frame %zu: pc 0x%llx exact %d regs %d of %zu frames; expected 0x%llx %d %d\n",
			    i, i < fr->count ? (unsigned long long)fr->frame[i].pc : 0ull,
			    i < fr->count && fr->frame[i].exact, i < fr->count && fr->frame[i].regs,
			    fr->count, (unsigned long long)pc, exact, with_regs);
		fail();
	}
}

/* A sleeping task: saved pc, then records with signed return addresses, then user regs. */
static void saved_task_to_user_mode(void **state)
{
	struct frames *fr = calloc(1, sizeof(*fr));
	fr->memory = new_memory(STACK);
	struct memory *m = fr->memory;
	record(m, STACK + 0x100, STACK + 0x400, signed_lr(TEXT + 0x234));
	record(m, STACK + 0x400, STACK + 0x800, signed_lr(TEXT + 0x358));
	record(m, STACK + 0x800, 0, 0);
	pt_regs(m, STACK + 0x800, 0x400123, 0xfffff000, 0xfffff010, 0x400200, 0 /* EL0t */);
	struct kt_arm64_unwinder u = test_unwinder(fr);
	struct kt_arm64_unwind_result result;
	kt_arm64_unwind(&u, NULL, TEXT + 0x110, STACK + 0xf0, STACK + 0x100, &result);
	assert_false(result.partial);
	assert_int_equal(fr->count, 3);
	expect_frame(fr, 0, TEXT + 0x110, false, false);
	expect_frame(fr, 1, TEXT + 0x234, false, false);
	expect_frame(fr, 2, TEXT + 0x358, false, false);
	assert_true(result.user_regs);
	assert_int_equal(result.user.ip, 0x400123);
	assert_int_equal(result.user.sp, 0xfffff000);
	assert_int_equal(result.user.x[30], 0x400200);
	free(m);
	free(fr);
}

/*
 * A CPU stopped in a leaf (its caller only in x30), above an interrupt
 * whose pt_regs hold the record {x29, elr} (6.1's entry code), ending at a
 * kernel thread's zeroed pt_regs.
 */
static void cpu_in_leaf_above_an_interrupt(void **state)
{
	struct frames *fr = calloc(1, sizeof(*fr));
	fr->memory = new_memory(STACK);
	struct memory *m = fr->memory;
	struct kt_regs cpu = { 0 };
	cpu.ip = TEXT + 0x520;
	cpu.x[30] = signed_lr(TEXT + 0x644);
	cpu.x[29] = cpu.bp = STACK + 0x100;
	cpu.sp = STACK + 0xf0;
	cpu.pstate = 0x5;
	record(m, STACK + 0x100, STACK + 0x800, signed_lr(TEXT + 0x788));
	record(m, STACK + 0x800, STACK + 0xa00, TEXT + 0x9a0);
	pt_regs(m, STACK + 0x800, TEXT + 0x9a0, STACK + 0x9f0, STACK + 0xa00,
		signed_lr(TEXT + 0xb10), 0x5 /* EL1h */);
	record(m, STACK + 0xa00, STACK + 0xd00, signed_lr(TEXT + 0xb10));
	record(m, STACK + 0xd00, 0, 0);
	struct kt_arm64_unwinder u = test_unwinder(fr);
	struct kt_arm64_unwind_result result;
	kt_arm64_unwind(&u, &cpu, 0, 0, 0, &result);
	assert_false(result.partial);
	assert_int_equal(fr->count, 5);
	expect_frame(fr, 0, TEXT + 0x520, true, true);
	expect_frame(fr, 1, TEXT + 0x644, false, false);   /* the leaf's caller, from x30 */
	expect_frame(fr, 2, TEXT + 0x788, false, false);
	expect_frame(fr, 3, TEXT + 0x9a0, true, true);     /* the interrupted pc */
	assert_int_equal(fr->frame[3].regs->sp, STACK + 0x9f0);
	expect_frame(fr, 4, TEXT + 0xb10, false, false);   /* x30 already in a record */
	assert_false(result.user_regs);                    /* a kernel thread's end */
	free(m);
	free(fr);
}

/* 6.13+: the entry code writes {0, 0} and type PT_REGS after it. */
static void meta_record_of_pt_regs(void **state)
{
	struct frames *fr = calloc(1, sizeof(*fr));
	fr->memory = new_memory(STACK);
	struct memory *m = fr->memory;
	record(m, STACK + 0x100, STACK + 0x800, signed_lr(TEXT + 0x234));
	record(m, STACK + 0x800, 0, 0);
	poke(m, STACK + 0x810, 2 /* FRAME_META_TYPE_PT_REGS */);
	pt_regs(m, STACK + 0x800, TEXT + 0x9a0, STACK + 0x9f0, STACK + 0xa00, TEXT + 0x9f0, 0x5);
	record(m, STACK + 0xa00, STACK + 0xd00, signed_lr(TEXT + 0xb10));
	record(m, STACK + 0xd00, 0, 0);
	poke(m, STACK + 0xd10, 1 /* FRAME_META_TYPE_FINAL */);
	struct kt_arm64_unwinder u = test_unwinder(fr);
	u.layout.meta_type = 16;
	struct kt_arm64_unwind_result result;
	kt_arm64_unwind(&u, NULL, TEXT + 0x110, STACK + 0xf0, STACK + 0x100, &result);
	assert_false(result.partial);
	assert_int_equal(fr->count, 4);
	expect_frame(fr, 1, TEXT + 0x234, false, false);
	expect_frame(fr, 2, TEXT + 0x9a0, true, true);
	expect_frame(fr, 3, TEXT + 0xb10, false, false);
	free(m);
	free(fr);
}

static void run_broken(struct frames *fr, uint64_t fp, const char *why, size_t max_frames)
{
	struct kt_arm64_unwinder u = test_unwinder(fr);
	struct kt_arm64_unwind_result result;
	kt_arm64_unwind(&u, NULL, TEXT + 0x110, STACK + 0xf0, fp, &result);
	assert_true(result.partial);
	if (!strstr(result.error, why)) {
		print_error("error \"%s\", expected it to say \"%s\"\n", result.error, why);
		fail();
	}
	assert_true(fr->count <= max_frames);
	assert_true(fr->memory->reads < 1000);
}

/* Hostile stacks: each ends with a reason, in few reads. */
static void broken_chains_stop(void **state)
{
	struct frames *fr = calloc(1, sizeof(*fr));
	fr->memory = new_memory(STACK);
	struct memory *m = fr->memory;
	/* Two records pointing at each other: stack switches run out. */
	record(m, STACK + 0x100, STACK + 0x200, TEXT + 0x234);
	record(m, STACK + 0x200, STACK + 0x100, TEXT + 0x358);
	run_broken(fr, STACK + 0x100, "back down the stack", MAX_TEST_FRAMES);
	/* A record pointing at itself. */
	memset(fr->frame, 0, sizeof(fr->frame));
	fr->count = 0;
	record(m, STACK + 0x300, STACK + 0x300, TEXT + 0x234);
	run_broken(fr, STACK + 0x300, "back down the stack", 2);
	fr->count = 0;
	run_broken(fr, STACK + 0x304, "misaligned", 1);
	fr->count = 0;
	record(m, STACK + 0x400, STACK + 0x500, 0xdeadbeef);
	run_broken(fr, STACK + 0x400, "not kernel text", 1);
	fr->count = 0;
	run_broken(fr, 0xffff900000000000ull, "unreadable frame record", 1);
	free(m);
	free(fr);
}

/* ---- Globals named by code ------------------------------------------- */

/*
 * test_taint() of Debian's 6.1.0-57-arm64 at 0xffffd24b320937c0: ADRP and
 * ADD reach a section anchor, a second ADD tainted_mask, which a
 * register-offset LDR then reads.
 */
static void adrp_pairs_and_anchors(void **state)
{
	static const uint32_t test_taint[] = {
		0xaa1e03e9, 0xd503201f, 0xb000f741, 0x91308021, 0x53067c02, 0x91002021,
		0xd503233f, 0xd50323bf, 0xf8627821, 0x9ac02420, 0x12000000, 0xd65f03c0,
	};
	uint64_t t[8];
	size_t n = kt_arm64_code_targets(test_taint, 12, 0xffffd24b320937c0ull, t, 8);
	assert_int_equal(n, 2);
	assert_int_equal(t[0], 0xffffd24b33f7cc20ull);
	assert_int_equal(t[1], 0xffffd24b33f7cc28ull);
	/* print_modules(): ADD to the anchor, then LDR x19, [x20, #0x50]! */
	static const uint32_t modules[] = { 0x900084b4, 0x91270294, 0x900019f5, 0x913762b5, 0xf8450e93 };
	n = kt_arm64_code_targets(modules, 5, 0x1000, t, 8);
	assert_int_equal(n, 3);
	assert_int_equal(t[2], t[0] + 0x50);
	/* A negative ADRP reaches back; the cap on targets holds. */
	static const uint32_t back[] = { 0xf0ffffe0 /* adrp x0, -1 page */, 0x91000400 /* add x0, x0, #1 */ };
	n = kt_arm64_code_targets(back, 2, 0x10000, t, 1);
	assert_int_equal(n, 1);
	assert_int_equal(t[0], 0xf000 + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pages_in_each_regime),
		cmocka_unit_test(blocks_one_and_two_levels_up),
		cmocka_unit_test(reserved_page_entry_is_refused),
		cmocka_unit_test(high_output_address_bits),
		cmocka_unit_test(impossible_regimes_are_refused),
		cmocka_unit_test(saved_task_to_user_mode),
		cmocka_unit_test(cpu_in_leaf_above_an_interrupt),
		cmocka_unit_test(meta_record_of_pt_regs),
		cmocka_unit_test(broken_chains_stop),
		cmocka_unit_test(adrp_pairs_and_anchors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
