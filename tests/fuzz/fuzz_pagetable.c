// SPDX-License-Identifier: MIT
/*
 * x86-64 page-table walks over hostile memory.  A dump is built in memory
 * (a back-end serving the input's pages as physical memory) and a kernel
 * on it with only what translation needs: VMCOREINFO (init_top_pgt,
 * phys_base, 4 or 5 levels, optionally page_offset_base) and the x86-64
 * arch.  Then addresses are translated and read (bytes, strings across
 * pages) and a kernel list is walked from one of them: the walk must end
 * by itself, whatever the tables and the list say.
 *
 * Input: u8 flags (bit 0: 5-level, bit 1: SYMBOL(page_offset_base)),
 * u64 phys_base, u32 offset of init_top_pgt in the kernel image, u32
 * offset of page_offset_base, 8 u64 addresses; the rest is physical memory
 * from address 0, in 4 KiB pages.
 */
#include <stdlib.h>

#include "../../lib/dump/internal.h"
#include "fuzz.h"
#include "../../lib/kernel/internal.h"

#define PAGE 4096u
#define START_KERNEL_MAP 0xffffffff80000000ull
#define NR_ADDRESSES 8

struct memory {
	const uint8_t *bytes;
	size_t size;
};

static enum kt_page_status memory_page_status(struct kt_dump *dump, uint64_t pfn)
{
	return pfn < dump->info.max_pfn ? KT_PAGE_PRESENT : KT_PAGE_EXCLUDED;
}

static struct kt_error *memory_read_page(struct kt_dump *dump, uint64_t pfn,
					 void *buf)
{
	const struct memory *m = dump->format;
	size_t at = (size_t)pfn * PAGE;
	size_t n = m->size - at < PAGE ? m->size - at : PAGE;
	memcpy(buf, m->bytes + at, n);
	memset((uint8_t *)buf + n, 0, PAGE - n);
	return NULL;
}

static bool memory_next_range(struct kt_dump *dump, uint64_t pfn,
			      uint64_t *start, uint64_t *end)
{
	*start = pfn;
	*end = dump->info.max_pfn;
	return true;
}

static const struct kt_dump_ops memory_ops = {
	.name = "memory",
	.page_status = memory_page_status,
	.read_page = memory_read_page,
	.next_range = memory_next_range,
};

static struct kt_dump *memory_dump(struct memory *m)
{
	struct kt_dump *dump = kt_dump_alloc("fuzz-memory");
	if (!dump)
		return NULL;
	dump->ops = &memory_ops;
	dump->format = m;
	dump->info.format = dump->info.contents = "memory";
	dump->info.page_size = PAGE;
	dump->info.max_pfn = (m->size + PAGE - 1) / PAGE;
	if (kt_dump_finish_open(dump)) {
		kt_dump_close(dump);
		return NULL;
	}
	return dump;
}

static void exercise(struct kt_kernel *k, const uint64_t *addresses)
{
	uint8_t buf[2 * PAGE];
	char text[300];
	for (size_t i = 0; i < NR_ADDRESSES; i++) {
		uint64_t paddr, a = addresses[i];
		struct kt_error *err = kt_kernel_translate(k, a, &paddr);
		if (fuzz_verbose())
			fprintf(stderr, "0x%" PRIx64 " -> %s0x%" PRIx64 "\n", a,
				err ? kt_error_string(err) : "", err ? 0 : paddr);
		fuzz_drop(err);
		fuzz_drop(kt_kernel_translate(k, a, &paddr)); /* through the TLB */
		fuzz_drop(kt_kernel_read(k, a, buf, 64 + i * 1000));
		fuzz_drop(kt_kernel_read_string(k, a, text, sizeof(text)));
		(void)kt_kernel_is_kernel_address(k, a);
		(void)kt_kernel_phys_to_virt(k, a);
	}
	struct kt_list_walk walk;
	kt_list_walk_kernel(&walk, k, addresses[0]);
	uint64_t entry;
	size_t steps = 0;
	struct kt_error *err;
	while (!(err = kt_list_walk_next(&walk, &entry)) && entry)
		if (++steps > KT_MAX_LIST_ENTRIES)
			abort(); /* the walk's own bound failed */
	if (fuzz_verbose())
		fprintf(stderr, "list: %zu entries, %s\n", steps, kt_error_string(err));
	fuzz_drop(err);
	kt_list_walk_destroy(&walk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor c = { data, size };
	uint8_t flags = fuzz_u8(&c);
	int64_t phys_base = (int64_t)fuzz_u64(&c);
	uint64_t top = START_KERNEL_MAP + fuzz_u32(&c) % (1u << 30);
	uint64_t pob = START_KERNEL_MAP + fuzz_u32(&c) % (1u << 30);
	uint64_t addresses[NR_ADDRESSES];
	for (size_t i = 0; i < NR_ADDRESSES; i++)
		addresses[i] = fuzz_u64(&c);
	struct memory m = { c.data, c.size };
	if (m.size == 0)
		return 0;
	char text[512];
	int n = snprintf(text, sizeof(text),
			 "OSRELEASE=6.1.0-fuzz\nPAGESIZE=4096\n"
			 "SYMBOL(init_top_pgt)=%llx\nNUMBER(phys_base)=%lld\n"
			 "NUMBER(pgtable_l5_enabled)=%d\n",
			 (unsigned long long)top, (long long)phys_base, flags & 1);
	if (flags & 2)
		snprintf(text + n, sizeof(text) - n, "SYMBOL(page_offset_base)=%llx\n",
			 (unsigned long long)pob);
	struct kt_dump *dump = memory_dump(&m);
	struct kt_kernel *k = calloc(1, sizeof(*k));
	if (!dump || !k || kt_vmcoreinfo_parse(text, strlen(text), &k->vmcoreinfo)) {
		kt_dump_close(dump);
		free(k);
		return 0;
	}
	k->dump = dump;
	k->page_size = PAGE;
	k->phys_base = phys_base;
	k->arch = &kt_arch_x86_64;
	struct kt_error *err = k->arch->init(k);
	if (!err)
		err = k->arch->late_init(k);
	if (!err)
		exercise(k, addresses);
	else if (fuzz_verbose())
		fprintf(stderr, "%s\n", kt_error_string(err));
	fuzz_drop(err);
	kt_kernel_close(k);
	kt_dump_close(dump);
	return 0;
}
