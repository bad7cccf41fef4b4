// SPDX-License-Identifier: MIT
/*
 * Does a BTF given with --btf (or kept by ktriaged) describe the dumped
 * kernel?  BTF carries no build ID, but VMCOREINFO carries the kernel's
 * own answer to a few type questions: SIZE(page), SIZE(pglist_data),
 * OFFSET(zone.free_area), OFFSET(printk_info.text_len)...  A BTF of another
 * build or configuration disagrees on some of them (pglist_data alone
 * changes with NR_CPUS, MAX_NUMNODES and the zone list); one that agrees
 * on all describes this kernel as far as it can be checked.
 */
#include <stdio.h>
#include <string.h>

#include "types.h"

#define MAX_NAME 128

/* "struct page" when BTF knows it, else the name itself (a typedef). */
static struct kt_error *size_of(struct kt_kernel *k, const char *name, uint64_t *out)
{
	char type[MAX_NAME + 8];
	snprintf(type, sizeof(type), "struct %s", name);
	struct kt_error *err = kt_type_sizeof(k, type, out);
	if (!err)
		return NULL;
	kt_error_free(err);
	return kt_type_sizeof(k, name, out);
}

static struct kt_error *offset_of(struct kt_kernel *k, const char *name, uint64_t *out)
{
	char type[MAX_NAME + 8];
	const char *dot = strchr(name, '.');
	if (!dot || (size_t)(dot - name) >= MAX_NAME)
		return kt_error_create(KT_ERR_USAGE, "OFFSET(%s): no member", name);
	snprintf(type, sizeof(type), "struct %.*s", (int)(dot - name), name);
	struct kt_error *err = kt_type_offsetof(k, type, dot + 1, out);
	if (!err)
		return NULL;
	kt_error_free(err);
	snprintf(type, sizeof(type), "%.*s", (int)(dot - name), name);
	return kt_type_offsetof(k, type, dot + 1, out);
}

/* The key's name inside SIZE(...) or OFFSET(...); NULL for other keys. */
static const char *inner_name(const char *key, const char *prefix, char *buf)
{
	size_t n = strlen(prefix), len = strlen(key);
	if (strncmp(key, prefix, n) != 0 || len < n + 2 || key[len - 1] != ')' ||
	    len - n - 1 >= MAX_NAME)
		return NULL;
	memcpy(buf, key + n, len - n - 1);
	buf[len - n - 1] = '\0';
	return buf;
}

struct kt_error *kt_types_match_vmcoreinfo(struct kt_kernel *k, const char *source)
{
	const struct kt_vmcoreinfo *vi = k->vmcoreinfo;
	size_t compared = 0;
	for (size_t i = 0; i < kt_vmcoreinfo_count(vi); i++) {
		const char *key, *value;
		char name[MAX_NAME];
		uint64_t want, got;
		if (!kt_vmcoreinfo_entry(vi, i, &key, &value))
			continue;
		bool is_size = inner_name(key, "SIZE(", name) != NULL;
		if (!is_size && !inner_name(key, "OFFSET(", name))
			continue;
		if (!kt_vmcoreinfo_u64(vi, key, 10, &want))
			continue;
		struct kt_error *err = is_size ? size_of(k, name, &got) : offset_of(k, name, &got);
		if (err) { /* a type this BTF lacks proves nothing either way */
			kt_error_free(err);
			continue;
		}
		compared++;
		if (got != want)
			return kt_error_create(KT_ERR_INVALID,
					       "%s does not describe this kernel: %s is %llu in its VMCOREINFO, %llu in this BTF",
					       source, key, (unsigned long long)want,
					       (unsigned long long)got);
	}
	if (!compared)
		kt_kernel_warn(k, "%s: no VMCOREINFO type fact to check it against", source);
	return NULL;
}
