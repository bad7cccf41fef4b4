// SPDX-License-Identifier: MIT
/*
 * Module symbols: what the kernel keeps for /proc/kallsyms, mod->kallsyms
 * (struct mod_kallsyms): an array of ELF symbols, their string table and,
 * since 5.x, one type letter per symbol.  Each module's table is read the
 * first time an address inside the module, or a name, is asked about.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "modules.h"
#include "symtab.h"

#define MAX_MODULE_SYMBOLS (1u << 20)
#define MAX_SYMBOL_NAME 512    /* KSYM_NAME_LEN, 128 before 6.1 */
#define MAX_STRTAB (64u << 20)

struct mod_kallsyms {
	uint64_t symtab, strtab, typetab;
	uint64_t count;
};

static struct kt_error *read_kallsyms_header(struct kt_kernel *k,
					     uint64_t address,
					     struct mod_kallsyms *out)
{
	static const char *const type = "struct mod_kallsyms";
	memset(out, 0, sizeof(*out));
	struct kt_error *err = kt_read_member_uint(k, address, type, "symtab",
						   &out->symtab);
	if (!err)
		err = kt_read_member_uint(k, address, type, "num_symtab", &out->count);
	if (!err)
		err = kt_read_member_uint(k, address, type, "strtab", &out->strtab);
	if (err)
		return err;
	/* Before typetab (5.x) the type letter was kept in st_info. */
	if (kt_type_has_member(k, type, "typetab"))
		err = kt_read_member_uint(k, address, type, "typetab", &out->typetab);
	if (!err && out->count > MAX_MODULE_SYMBOLS)
		err = kt_error_create(KT_ERR_INVALID, "%llu symbols is implausible",
				      (unsigned long long)out->count);
	if (!err && (!kt_kernel_is_kernel_address(k, out->symtab) ||
		     !kt_kernel_is_kernel_address(k, out->strtab)))
		err = kt_error_create(KT_ERR_INVALID,
				      "symtab 0x%llx or strtab 0x%llx is not a kernel address",
				      (unsigned long long)out->symtab,
				      (unsigned long long)out->strtab);
	return err;
}

/* Read what can be read, page by page; unreadable pages read as zeros. */
static void read_tolerant(struct kt_kernel *k, uint64_t address, uint8_t *buf,
			  size_t len)
{
	while (len) {
		size_t chunk = k->page_size - (size_t)(address % k->page_size);
		if (chunk > len)
			chunk = len;
		struct kt_error *err = kt_kernel_read(k, address, buf, chunk);
		if (err) {
			memset(buf, 0, chunk);
			kt_error_free(err);
		}
		address += chunk;
		buf += chunk;
		len -= chunk;
	}
}

/* $a, $t, $d, $x...: ARM-style mapping symbols mark code and data runs. */
static bool is_mapping_symbol(const char *name)
{
	return name[0] == '$' && name[1] && strchr("adtx", name[1]) &&
	       (name[2] == '\0' || name[2] == '.');
}

static bool inside_module(const struct kt_module_detail *d, uint64_t address)
{
	for (size_t r = 0; r < d->nr_regions; r++)
		if (address - d->regions[r].base < d->regions[r].size)
			return true;
	return false;
}

static char type_of(const Elf64_Sym *sym, const uint8_t *types, size_t i)
{
	char c = types ? (char)types[i] : (char)sym->st_info;
	return c > ' ' && c <= '~' ? c : '?';
}

static struct kt_error *add_symbols(const struct kt_module_detail *d,
				    const Elf64_Sym *syms, size_t count,
				    const char *strtab, size_t strtab_len,
				    const uint8_t *types, struct kt_symtab *t)
{
	/* ELF's symbol 0 is the undefined symbol. */
	for (size_t i = 1; i < count; i++) {
		const Elf64_Sym *sym = &syms[i];
		if (sym->st_shndx == SHN_UNDEF || sym->st_name >= strtab_len ||
		    !inside_module(d, sym->st_value))
			continue;
		const char *name = strtab + sym->st_name;
		size_t len = strnlen(name, strtab_len - sym->st_name);
		if (!len || sym->st_name + len >= strtab_len || is_mapping_symbol(name))
			continue;
		struct kt_error *err = kt_symtab_add(t, name, len, sym->st_value,
						     type_of(sym, types, i));
		if (err)
			return err;
	}
	return kt_symtab_finish(t);
}

static struct kt_error *load_symbols(struct kt_kernel *k,
				     const struct kt_module_detail *d,
				     struct kt_symtab **out)
{
	struct mod_kallsyms ks;
	struct kt_error *err = d->kallsyms ? read_kallsyms_header(k, d->kallsyms, &ks)
					   : kt_error_create(KT_ERR_NOT_FOUND, "no kallsyms");
	if (err)
		return err;
	size_t count = (size_t)ks.count;
	Elf64_Sym *syms = calloc(count ? count : 1, sizeof(*syms));
	uint8_t *types = ks.typetab ? calloc(count ? count : 1, 1) : NULL;
	char *strtab = NULL;
	struct kt_symtab *t = kt_symtab_create();
	if (!syms || (ks.typetab && !types) || !t) {
		err = &kt_error_out_of_memory;
		goto out;
	}
	err = kt_kernel_read(k, ks.symtab, syms, count * sizeof(*syms));
	if (err)
		goto out;
	if (types)
		read_tolerant(k, ks.typetab, types, count);
	/* The string table's length is not kept: read up to the last name. */
	uint64_t strtab_len = 0;
	for (size_t i = 0; i < count; i++)
		if (syms[i].st_name >= strtab_len)
			strtab_len = (uint64_t)syms[i].st_name + MAX_SYMBOL_NAME;
	if (strtab_len > MAX_STRTAB)
		strtab_len = MAX_STRTAB;
	strtab = malloc(strtab_len + 1);
	if (!strtab) {
		err = &kt_error_out_of_memory;
		goto out;
	}
	read_tolerant(k, ks.strtab, (uint8_t *)strtab, (size_t)strtab_len);
	strtab[strtab_len] = '\0';
	err = add_symbols(d, syms, count, strtab, (size_t)strtab_len, types, t);
out:
	free(syms);
	free(types);
	free(strtab);
	if (err) {
		kt_symtab_destroy(t);
		return err;
	}
	*out = t;
	return NULL;
}

struct kt_symtab *kt_module_symbols(struct kt_kernel *k,
				    struct kt_module_list *list, size_t index)
{
	struct kt_module_detail *d = &list->details[index];
	if (d->symbols_loaded)
		return d->symbols;
	d->symbols_loaded = true;
	struct kt_error *err = load_symbols(k, d, &d->symbols);
	if (err) {
		kt_kernel_warn(k, "module %s: symbols: %s", list->modules[index].name,
			       kt_error_string(err));
		kt_error_free(err);
	}
	return d->symbols;
}

bool kt_module_symbol_at(struct kt_kernel *k, uint64_t address,
			 struct kt_symbol *symbol, uint64_t *offset)
{
	struct kt_module_list *list = kt_module_list(k);
	const struct kt_module_region *region;
	long i = list ? kt_module_index_at(list, address, &region) : -1;
	if (i < 0)
		return false;
	struct kt_symtab *t = kt_module_symbols(k, list, (size_t)i);
	/* A symbol below the region belongs to another part of the module. */
	if (!t || !kt_symtab_lookup_address(t, address, symbol) ||
	    symbol->address < region->base)
		return false;
	uint64_t end = region->base + region->size;
	if (!symbol->size || symbol->size > end - symbol->address)
		symbol->size = end - symbol->address;
	symbol->module = list->modules[i].name;
	*offset = address - symbol->address;
	return true;
}

bool kt_module_symbol_address(struct kt_kernel *k, const char *name,
			      uint64_t *address)
{
	struct kt_module_list *list = kt_module_list(k);
	for (size_t i = 0; list && i < list->count; i++) {
		struct kt_symtab *t = kt_module_symbols(k, list, i);
		if (t && kt_symtab_lookup_name(t, name, address))
			return true;
	}
	return false;
}
