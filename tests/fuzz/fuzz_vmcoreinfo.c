// SPDX-License-Identifier: MIT
/*
 * VMCOREINFO text: kt_vmcoreinfo_parse on hostile text, then every lookup
 * the kernel model makes, on each key the text has and on the names the
 * model asks for.  Every entry handed back must be a NUL-terminated string
 * inside what the parser owns.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "ktriage/kernel.h"

static const char *const names[] = {
	"OSRELEASE", "BUILD-ID", "PAGESIZE", "KERNELOFFSET", "CRASHTIME",
	"SYMBOL(prb)", "SYMBOL(init_top_pgt)", "NUMBER(phys_base)",
	"NUMBER(pgtable_l5_enabled)", "OFFSET(printk_info.seq)",
	"SIZE(printk_ringbuffer)", "LENGTH(printk_info_device)", "",
};

static void lookups(const struct kt_vmcoreinfo *vi, const char *key)
{
	uint64_t u;
	int64_t n;
	(void)kt_vmcoreinfo_get(vi, key);
	(void)kt_vmcoreinfo_u64(vi, key, 10, &u);
	(void)kt_vmcoreinfo_u64(vi, key, 16, &u);
	(void)kt_vmcoreinfo_u64(vi, key, 0, &u);
	/* The typed lookups take the name inside the parentheses. */
	const char *open = strchr(key, '(');
	char inner[256];
	if (open) {
		snprintf(inner, sizeof(inner), "%s", open + 1);
		char *close = strchr(inner, ')');
		if (close)
			*close = '\0';
	} else {
		snprintf(inner, sizeof(inner), "%s", key);
	}
	(void)kt_vmcoreinfo_symbol(vi, inner, &u);
	(void)kt_vmcoreinfo_size(vi, inner, &u);
	(void)kt_vmcoreinfo_offset(vi, inner, &u);
	(void)kt_vmcoreinfo_length(vi, inner, &u);
	(void)kt_vmcoreinfo_number(vi, inner, &n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exact-size copy: the parser takes a length, not a C string. */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	struct kt_vmcoreinfo *vi;
	struct kt_error *err = kt_vmcoreinfo_parse(text, size, &vi);
	free(text); /* the parsed copy must not point into the input */
	if (err) {
		fuzz_drop(err);
		return 0;
	}
	size_t count = kt_vmcoreinfo_count(vi);
	for (size_t i = 0; i <= count; i++) {
		const char *key, *value;
		if (!kt_vmcoreinfo_entry(vi, i, &key, &value)) {
			if (i != count)
				abort(); /* every index below the count exists */
			break;
		}
		(void)strlen(value);
		if (i < 32) /* each lookup scans every entry: keep it linear */
			lookups(vi, key);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		lookups(vi, names[i]);
	kt_vmcoreinfo_free(vi);
	return 0;
}
