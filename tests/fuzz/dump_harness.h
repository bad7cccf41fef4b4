/* SPDX-License-Identifier: MIT */
/*
 * The dump reader on a whole (small) dump file: open, describe, walk every
 * range and read every page it holds, read across page boundaries, then
 * try to build the kernel model on it.  fuzz_dump_elf, fuzz_dump_kdump and
 * fuzz_dump_flattened include this with FUZZ_MAGIC set to their format's
 * signature, written over the input's first bytes so that every input
 * reaches that back-end instead of failing format detection.
 */
#include <stdlib.h>

#include "../../lib/dump/internal.h"
#include "fuzz.h"
#include "ktriage/kernel.h"

#define MAX_PAGES_READ 512
#define MAX_RANGES 4096

static void read_pages(struct kt_dump *dump, uint8_t *page)
{
	const struct kt_dump_info *info = kt_dump_info(dump);
	size_t reads = 0, ranges = 0;
	uint64_t pfn = 0, start, end;
	while (reads < MAX_PAGES_READ && ranges++ < MAX_RANGES &&
	       kt_dump_next_range(dump, pfn, &start, &end)) {
		if (start < pfn || end <= start)
			abort(); /* next_range must move forward */
		for (uint64_t p = start; p < end && reads < MAX_PAGES_READ; p++, reads++) {
			enum kt_page_status status = kt_dump_page_status(dump, p);
			(void)kt_page_status_name(status);
			fuzz_drop(kt_dump_read_page(dump, p, page));
		}
		/* Through the cache, straddling the range's first boundary. */
		uint64_t at = start * info->page_size + info->page_size / 2;
		fuzz_drop(kt_dump_read_phys(dump, at, page, info->page_size));
		pfn = end;
	}
	fuzz_drop(kt_dump_read_page(dump, info->max_pfn, page));
	(void)kt_dump_page_status(dump, info->max_pfn + 1);
}

static void describe(struct kt_dump *dump)
{
	const struct kt_dump_info *info = kt_dump_info(dump);
	char buf[64];
	(void)kt_compression_name(info->compression, buf, sizeof(buf));
	size_t len;
	const char *text = kt_dump_vmcoreinfo(dump, &len);
	if (text && strlen(text) != len)
		abort(); /* the copy is NUL-terminated at its length */
	for (size_t i = 0; i < kt_dump_note_count(dump); i++) {
		const struct kt_note *note = kt_dump_note(dump, i);
		volatile uint8_t sink = 0;
		(void)strlen(note->name);
		if (note->desc_size)
			sink ^= note->desc[0] ^ note->desc[note->desc_size - 1];
		(void)sink;
	}
	for (size_t i = 0; i < kt_dump_prstatus_count(dump); i++) {
		const struct kt_prstatus *p = kt_dump_prstatus(dump, i);
		volatile uint8_t sink = p->regs[0] ^ p->regs[p->regs_size - 1];
		(void)sink;
	}
}

/* What every command does next: VMCOREINFO, translation, symbols, BTF. */
static void open_kernel(struct kt_dump *dump)
{
	struct kt_kernel *kernel;
	struct kt_error *err = kt_kernel_open(dump, NULL, &kernel);
	if (err) {
		/* What the CLI prints: it must name the file. */
		if (err != &kt_error_out_of_memory &&
		    !strstr(kt_error_string(err), kt_dump_info(dump)->path)) {
			fprintf(stderr, "error does not name the file: %s\n",
				kt_error_string(err));
			abort();
		}
		fuzz_drop(err);
		return;
	}
	const struct kt_log_record *records;
	size_t count;
	fuzz_drop(kt_log_records(kernel, &records, &count));
	kt_kernel_close(kernel);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size + sizeof(FUZZ_MAGIC));
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	size_t magic = sizeof(FUZZ_MAGIC) - 1;
	memcpy(copy, FUZZ_MAGIC, magic);
	if (size < magic)
		size = magic;
	char path[64];
	int fd = fuzz_file(copy, size, path, sizeof(path));
	free(copy);
	if (fd < 0)
		return 0;
	struct kt_dump *dump;
	struct kt_error *err = kt_dump_open(path, &dump);
	if (!err) {
		uint8_t *page = malloc(kt_dump_info(dump)->page_size);
		if (page) {
			describe(dump);
			read_pages(dump, page);
			free(page);
		}
		open_kernel(dump);
		kt_dump_close(dump);
	} else if (!err->message || !strstr(err->message, path)) {
		/* An error that does not name the file is a bug in itself. */
		if (err != &kt_error_out_of_memory) {
			fprintf(stderr, "error does not name the file: %s\n",
				kt_error_string(err));
			abort();
		}
	}
	fuzz_drop(err);
	close(fd);
	return 0;
}
