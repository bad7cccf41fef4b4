// SPDX-License-Identifier: MIT
/*
 * Is a vmlinux the dump's build?  Its symbols and types describe only the
 * kernel it was linked as: the GNU build ID note must be VMCOREINFO's
 * BUILD-ID.
 */
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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

/*
 * --vmlinux of another build is refused before anything is read, as crash
 * refuses it: its symbols and types would describe another kernel.
 */
struct kt_error *kt_kernel_check_vmlinux(struct kt_kernel *k)
{
	const char *path = k->options.vmlinux;
	if (!path)
		return NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kt_error_create(KT_ERR_IO, "%s: %s", path, strerror(errno));
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	struct kt_error *err = !elf || elf_kind(elf) != ELF_K_ELF
		? kt_error_create(KT_ERR_FORMAT, "%s: not an ELF file", path)
		: kt_vmlinux_check_build_id(k, path, elf);
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}
