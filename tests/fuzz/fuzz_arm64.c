// SPDX-License-Identifier: MIT
/*
 * arm64's pieces over hostile memory: a page-table walk with any granule,
 * VA size and root the input gives (kt_arm64_walk), a frame-record unwind
 * from any registers over any stack (kt_arm64_unwind, text and function
 * starts from the input too), and the ADRP targets of any instructions
 * (kt_arm64_code_targets).  Each must end by itself with an answer or an
 * error, in bounded reads.
 *
 * Input: u8 page-shift choice, u8 VA bits, u8 flags (bit 0: LPA2, bit 1:
 * pt_regs meta type), u64 root, u64 pac mask, 34 u64 registers, u64 pc,
 * u64 sp, u64 fp, 8 u64 addresses to translate, u16 instruction count;
 * that many u32 instructions; the rest is a sparse memory image
 * (fuzz_image_parse), read as physical memory by the walk and virtual by
 * the unwinder.
 */
#include "fuzz.h"
#include "../../lib/kernel/arch_arm64.h"

#define MAX_FRAMES 64
#define MAX_READS 100000

struct context {
	struct fuzz_image image;
	unsigned frames, reads;
};

static struct kt_error *image_read(void *context, uint64_t address, uint64_t *value)
{
	struct context *c = context;
	if (++c->reads > MAX_READS) {
		fprintf(stderr, "more than %d reads: an unbounded loop\n", MAX_READS);
		abort();
	}
	if (!fuzz_image_read(&c->image, address, value, sizeof(*value)))
		return kt_error_create(KT_ERR_FAULT, "0x%llx: not in the image",
				       (unsigned long long)address);
	return NULL;
}

/* Text is the top 1/4 of the address space here; functions every 256 bytes. */
static bool is_text(void *context, uint64_t address)
{
	return address >> 62 == 3;
}

static uint64_t function_start(void *context, uint64_t address)
{
	return is_text(context, address) ? address & ~0xffull : 0;
}

static struct kt_error *frame(void *context, const struct kt_arm64_frame *f)
{
	struct context *c = context;
	if (++c->frames > MAX_FRAMES)
		return kt_error_create(KT_ERR_INVALID, "more than %d frames", MAX_FRAMES);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor cur = { data, size };
	static const unsigned shifts[] = { 12, 14, 16, 13 };
	struct kt_arm64_mmu mmu = { shifts[fuzz_u8(&cur) & 3], fuzz_u8(&cur), false, 0 };
	uint8_t flags = fuzz_u8(&cur);
	mmu.lpa2 = flags & 1;
	mmu.root = fuzz_u64(&cur);
	uint64_t pac_mask = fuzz_u64(&cur), words[34], pc, sp, fp, addresses[8];
	fuzz_take(&cur, words, sizeof(words));
	pc = fuzz_u64(&cur), sp = fuzz_u64(&cur), fp = fuzz_u64(&cur);
	fuzz_take(&cur, addresses, sizeof(addresses));
	size_t count = fuzz_u16(&cur) % 512, got;
	uint32_t insns[512] = { 0 };
	const uint8_t *code = fuzz_bytes(&cur, count * 4, &got);
	memcpy(insns, code, got);
	struct context *c = calloc(1, sizeof(*c));
	if (!c)
		return 0;
	fuzz_image_parse(&cur, &c->image);

	for (size_t i = 0; i < 8; i++) {
		uint64_t paddr;
		fuzz_drop(kt_arm64_walk(&mmu, image_read, c, addresses[i], &paddr));
	}
	struct kt_regs regs;
	kt_arm64_regs_from_words(words, &regs);
	struct kt_arm64_unwinder u = {
		.read = image_read, .is_text = is_text, .function_start = function_start,
		.frame = frame, .context = c, .pac_mask = pac_mask, .thread_size = 16384,
		.va_bits = mmu.va_bits <= 52 ? mmu.va_bits : 48,
		.layout = { 336, 304, flags & 2 ? 16 : 0 },
	};
	struct kt_arm64_unwind_result result;
	c->frames = 0;
	kt_arm64_unwind(&u, &regs, 0, 0, 0, &result);
	c->frames = 0;
	kt_arm64_unwind(&u, NULL, pc, sp, fp, &result);
	uint64_t targets[24];
	size_t n = kt_arm64_code_targets(insns, count, pc, targets, 24);
	if (n > 24)
		abort();
	free(c);
	return 0;
}
