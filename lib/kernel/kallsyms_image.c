// SPDX-License-Identifier: MIT
/*
 * The dump's kernel image handed to the kallsyms scanner (kallsyms_scan.c)
 * when VMCOREINFO has no SYMBOL(kallsyms_*) (kernels before 6.0).  What
 * VMCOREINFO does carry bounds and checks the search: SYMBOL(_stext) is
 * where the image starts and must be a symbol; the data symbols it names
 * (init_uts_ns, swapper_pg_dir / init_top_pgt, ...) lie past .rodata,
 * where kallsyms is, so the highest of them bounds the range, and with
 * CONFIG_KALLSYMS_ALL they are symbols too.
 */
#include <string.h>

#include "kallsyms_scan.h"

#define KERNEL_IMAGE_BASE 0xffffffff80000000ull
#define DEFAULT_RANGE (128ull << 20)
#define MAX_RANGE (256ull << 20)

static bool read_kernel(void *context, uint64_t address, void *buf, size_t len)
{
	struct kt_error *err = kt_kernel_read(context, address, buf, len);
	kt_error_free(err);
	return err == NULL;
}

static const char *const fact_names[] = {
	"init_uts_ns", "swapper_pg_dir", "init_top_pgt", "node_online_map",
	"vmap_area_list", "log_buf", "prb", "node_data",
};

static void add_facts(struct kt_kernel *k, struct kt_kallsyms_scan_input *in)
{
	uint64_t highest = 0;
	for (size_t i = 0; i < sizeof(fact_names) / sizeof(fact_names[0]) &&
			   in->nr_facts < KT_KALLSYMS_MAX_FACTS; i++) {
		uint64_t address;
		if (!kt_vmcoreinfo_symbol(k->vmcoreinfo, fact_names[i], &address) ||
		    address <= in->stext || address - in->stext >= MAX_RANGE)
			continue;
		in->facts[in->nr_facts++] = address;
		if (address > highest)
			highest = address;
	}
	in->end = highest ? highest : in->stext + DEFAULT_RANGE;
}

struct kt_error *kt_kallsyms_scan_kernel(struct kt_kernel *k,
					 struct kt_kallsyms_scan_result *r)
{
	struct kt_kallsyms_scan_input in = { .read = read_kernel, .context = k };
	memset(r, 0, sizeof(*r));
	if (!kt_vmcoreinfo_symbol(k->vmcoreinfo, "_stext", &in.stext) ||
	    in.stext < KERNEL_IMAGE_BASE)
		return kt_error_create(KT_ERR_NOT_FOUND,
				       "VMCOREINFO has neither SYMBOL(kallsyms_names) nor a usable SYMBOL(_stext): kallsyms cannot be found");
	in.start = in.stext;
	add_facts(k, &in);
	struct kt_error *err = kt_kallsyms_scan(&in, r);
	if (err)
		return kt_error_wrap(err, "VMCOREINFO has no SYMBOL(kallsyms_names) (kernel older than 6.0?)");
	return NULL;
}
