// SPDX-License-Identifier: MIT
/*
 * Is a vmlinux the dump's build?  Its symbols and types describe only the
 * kernel it was linked as: the GNU build ID note must be VMCOREINFO's
 * BUILD-ID.
 */
#include <elfutils/libdwelf.h>
#include <stdio.h>
#include <strings.h>

#include "internal.h"

struct kt_error *kt_vmlinux_check_build_id(struct kt_kernel *k,
					   const char *path, struct Elf *elf)
{
	const char *want = kt_vmcoreinfo_get(k->vmcoreinfo, "BUILD-ID");
	const void *id;
	ssize_t n = dwelf_elf_gnu_build_id(elf, &id);
	if (!want || n <= 0)
		return NULL; /* nothing to compare: trust the user */
	char hex[2 * 64 + 1] = "";
	if (n > 64)
		n = 64;
	for (ssize_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", ((const unsigned char *)id)[i]);
	if (strcasecmp(hex, want) != 0)
		return kt_error_create(KT_ERR_INVALID,
				       "%s: build ID %s is not the dump's %s", path,
				       hex, want);
	return NULL;
}
