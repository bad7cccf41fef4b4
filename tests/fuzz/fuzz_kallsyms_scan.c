// SPDX-License-Identifier: MIT
/*
 * The kallsyms scanner (kt_kallsyms_scan) on hostile kernel images: it
 * may find nothing, but whatever it reports must lie inside the range
 * searched, in one of scripts/kallsyms' orders, and its reads stay bounded.
 *
 * Input: u64 _stext (the range searched is [_stext, _stext + 4 MiB)),
 * u64 one more fact address, then the image as regions (fuzz.h: u64
 * address, u32 length, bytes).
 */
#include "fuzz.h"
#include "../../lib/kernel/kallsyms_scan.h"

#define RANGE (4u << 20)

static bool read_image(void *context, uint64_t address, void *buf, size_t len)
{
	return fuzz_image_read(context, address, buf, len);
}

static void check(const struct kt_kallsyms_scan_input *in,
		  const struct kt_kallsyms_scan_result *r)
{
	const struct kt_kallsyms_tables *t = &r->tables;
	const uint64_t all[] = { t->offsets, t->relative_base, t->num_syms,
				 t->names, t->token_table, t->token_index };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i] < in->start || all[i] >= in->end)
			abort(); /* a table outside the image searched */
	/* scripts/kallsyms' order: offsets first (4.18..6.3) or last (6.4+). */
	bool before = t->relative_base < t->num_syms, after = t->token_index < t->offsets;
	if (!(t->offsets < t->relative_base && t->num_syms < t->names &&
	      t->names < t->token_table && t->token_table < t->token_index) ||
	    before == after || r->count == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor c = { data, size };
	struct fuzz_image image;
	struct kt_kallsyms_scan_input in = { .read = read_image, .context = &image };
	in.stext = fuzz_u64(&c);
	in.facts[0] = fuzz_u64(&c);
	in.nr_facts = 1;
	fuzz_image_parse(&c, &image);
	in.start = in.stext;
	in.end = in.stext > UINT64_MAX - RANGE ? UINT64_MAX : in.stext + RANGE;
	struct kt_kallsyms_scan_result r;
	struct kt_error *err = kt_kallsyms_scan(&in, &r);
	if (!err)
		check(&in, &r);
	if (r.pages_read > 2 * (RANGE / 4096) + 8)
		abort(); /* more than a probe pass and a page-by-page pass */
	if (fuzz_verbose())
		fprintf(stderr, "scan: %s (%u symbols, %u pages)\n",
			err ? kt_error_string(err) : "found", r.count, r.pages_read);
	fuzz_drop(err);
	return 0;
}
