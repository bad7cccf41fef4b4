// SPDX-License-Identifier: MIT
/*
 * Which architecture a dump is of.  The kernel model picks its address
 * translation, registers and unwinder from this, and `info` prints it, so a
 * dump of a machine ktriage cannot read is named as such instead of failing
 * later in the wrong page-table walker.  The ELF header says it for ELF
 * cores, the kdump header's utsname for makedumpfile's format; VMCOREINFO
 * keys that only one architecture writes settle the rest.
 */
#include <elf.h>
#include <string.h>

#include "internal.h"

static const char *from_elf_machine(uint16_t machine)
{
	switch (machine) {
	case EM_X86_64:
		return "x86_64";
	case EM_AARCH64:
		return "arm64";
	case EM_386:
		return "i386";
	case EM_PPC64:
		return "ppc64";
	case EM_S390:
		return "s390";
	case EM_RISCV:
		return "riscv";
	case EM_LOONGARCH:
		return "loongarch";
	default:
		return NULL;
	}
}

/* A VMCOREINFO line "KEY=" at the start of a line of text. */
static bool has_key(const char *text, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, key, n) == 0)
			return true;
	}
	return false;
}

static const char *from_vmcoreinfo(const char *text)
{
	if (!text)
		return NULL;
	if (has_key(text, "NUMBER(kimage_voffset)="))
		return "arm64";
	if (has_key(text, "SYMBOL(init_top_pgt)=") || has_key(text, "NUMBER(phys_base)="))
		return "x86_64";
	return NULL;
}

const char *kt_dump_arch(const struct kt_dump *dump)
{
	const char *arch = from_elf_machine(dump->info.elf_machine);
	if (arch)
		return arch;
	const char *machine = dump->info.utsname_machine;
	if (strcmp(machine, "aarch64") == 0 || strcmp(machine, "arm64") == 0)
		return "arm64";
	if (*machine)
		return machine;
	return from_vmcoreinfo(dump->vmcoreinfo);
}
