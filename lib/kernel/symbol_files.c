// SPDX-License-Identifier: MIT
/*
 * Symbols from files the user gives: a System.map, or a vmlinux's ELF
 * symbol table (read with libelf).  Both hold link-time addresses; the
 * running kernel was moved by KERNELOFFSET (KASLR).
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symtab.h"

#define START_KERNEL_MAP 0xffffffff80000000ull

/*
 * Only kernel-image addresses move with KASLR; x86-64's per-CPU offsets
 * (small absolute values) do not.  arm64's image is anywhere in the top
 * half and its per-CPU symbols are ordinary image addresses.
 */
static uint64_t relocate(const struct kt_kernel *k, uint64_t address)
{
	uint64_t image = strcmp(k->arch->name, "arm64") == 0 ? 1ull << 63 : START_KERNEL_MAP;
	return address >= image ? address + k->kernel_offset : address;
}

struct kt_error *kt_system_map_load(struct kt_kernel *k, const char *path,
				    struct kt_symtab *table)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return kt_error_create(KT_ERR_IO, "%s: %m", path);
	char line[1024];
	unsigned long long n = 0;
	struct kt_error *err = NULL;
	while (!err && fgets(line, sizeof(line), f)) {
		unsigned long long address;
		char type;
		char name[512];
		if (sscanf(line, "%llx %c %511s", &address, &type, name) != 3)
			continue;
		err = kt_symtab_add(table, name, strlen(name),
				    relocate(k, address), type);
		n++;
	}
	fclose(f);
	if (!err && n == 0)
		err = kt_error_create(KT_ERR_FORMAT, "%s: no symbols in System.map",
				      path);
	return err;
}

static char elf_type_letter(const GElf_Sym *sym)
{
	bool global = GELF_ST_BIND(sym->st_info) != STB_LOCAL;
	char c = GELF_ST_TYPE(sym->st_info) == STT_FUNC ? 't' : 'd';
	return global ? (char)(c - 'a' + 'A') : c;
}

static struct kt_error *add_elf_symbols(struct kt_kernel *k, Elf *elf,
					const char *path,
					struct kt_symtab *table)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_SYMTAB ||
		    !shdr.sh_entsize)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data)
			return kt_error_create(KT_ERR_FORMAT, "%s: symtab: %s", path,
					       elf_errmsg(-1));
		size_t count = shdr.sh_size / shdr.sh_entsize;
		for (size_t i = 0; i < count; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, (int)i, &sym) || !sym.st_name ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			const char *name = elf_strptr(elf, shdr.sh_link, sym.st_name);
			if (!name || !*name)
				continue;
			struct kt_error *err = kt_symtab_add(
				table, name, strlen(name),
				relocate(k, sym.st_value), elf_type_letter(&sym));
			if (err)
				return err;
		}
		return NULL;
	}
	return kt_error_create(KT_ERR_NOT_FOUND, "%s: no ELF symbol table", path);
}

struct kt_error *kt_vmlinux_symbols_load(struct kt_kernel *k, const char *path,
					 struct kt_symtab *table)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kt_error_create(KT_ERR_IO, "%s: %m", path);
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	struct kt_error *err;
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		err = kt_error_create(KT_ERR_FORMAT, "%s: not an ELF file", path);
	else
		err = kt_vmlinux_check_build_id(k, path, elf);
	if (!err)
		err = add_elf_symbols(k, elf, path, table);
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}
