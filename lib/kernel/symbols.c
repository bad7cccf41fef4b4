// SPDX-License-Identifier: MIT
/*
 * Symbols: one table sorted by address with a hash on names, filled from
 * the kernel's own kallsyms or, when given, a System.map or a vmlinux.
 * Module symbols are asked of the module list (modules.c).
 */
#include <stdlib.h>
#include <string.h>

#include "symtab.h"

#define MAX_POOL (256u << 20)

struct ksym {
	uint64_t address;
	uint32_t name; /* offset into the pool */
	uint32_t seq;  /* order of insertion: the source's order */
	char type;
};

struct kt_symtab {
	struct ksym *syms;
	size_t count, cap;
	char *pool;
	size_t pool_len, pool_cap;
	uint32_t *hash; /* index + 1 into syms, 0 when empty */
	size_t hash_size;
};

struct kt_symbols {
	struct kt_symtab *table;
	uint64_t text_start, text_end; /* _stext.._etext */
	/* _sinittext.._einittext: freed after boot, but early stacks (the
	 * idle task of CPU 0) still return into it and ORC still covers it. */
	uint64_t init_start, init_end;
	uint64_t image_end; /* _end: past it no symbol of the image lies */
};

struct kt_symtab *kt_symtab_create(void)
{
	return calloc(1, sizeof(struct kt_symtab));
}

void kt_symtab_destroy(struct kt_symtab *t)
{
	if (!t)
		return;
	free(t->syms);
	free(t->pool);
	free(t->hash);
	free(t);
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t ncap = *cap ? *cap : 1024;
	while (ncap < need)
		ncap *= 2;
	void *n = realloc(*p, ncap * elem);
	if (!n)
		return false;
	*p = n;
	*cap = ncap;
	return true;
}

struct kt_error *kt_symtab_reserve(struct kt_symtab *t, size_t count,
				   size_t names_bytes)
{
	if (names_bytes > MAX_POOL)
		names_bytes = MAX_POOL;
	if (!grow((void **)&t->syms, &t->cap, t->count + count, sizeof(*t->syms)) ||
	    !grow((void **)&t->pool, &t->pool_cap, t->pool_len + names_bytes, 1))
		return &kt_error_out_of_memory;
	return NULL;
}

struct kt_error *kt_symtab_add(struct kt_symtab *t, const char *name,
			       size_t name_len, uint64_t address, char type)
{
	if (t->pool_len + name_len + 1 > MAX_POOL)
		return kt_error_create(KT_ERR_INVALID, "symbol names exceed %u bytes",
				       MAX_POOL);
	if (!grow((void **)&t->syms, &t->cap, t->count + 1, sizeof(*t->syms)) ||
	    !grow((void **)&t->pool, &t->pool_cap, t->pool_len + name_len + 1, 1))
		return &kt_error_out_of_memory;
	memcpy(t->pool + t->pool_len, name, name_len);
	t->pool[t->pool_len + name_len] = '\0';
	t->syms[t->count] = (struct ksym){ address, (uint32_t)t->pool_len, (uint32_t)t->count, type };
	t->count++;
	t->pool_len += name_len + 1;
	return NULL;
}

static bool is_weak(char type)
{
	return type == 'w' || type == 'W' || type == 'v' || type == 'V';
}

/*
 * Among symbols at one address, the kernel names the first in kallsyms'
 * order (scripts/kallsyms: strong before weak, fewer leading underscores
 * first, then link order).  A source that is not in address order (a
 * vmlinux's symbol table, a System.map) is sorted the same way, its own
 * order standing for link order.
 */
static int compare_address(const void *a, const void *b, void *pool)
{
	const struct ksym *x = a, *y = b;
	if (x->address != y->address)
		return x->address < y->address ? -1 : 1;
	if (is_weak(x->type) != is_weak(y->type))
		return is_weak(x->type) ? 1 : -1;
	const char *xn = (const char *)pool + x->name, *yn = (const char *)pool + y->name;
	size_t xu = strspn(xn, "_"), yu = strspn(yn, "_");
	if (xu != yu)
		return xu < yu ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq; /* the source's order */
}

static uint64_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

struct kt_error *kt_symtab_finish(struct kt_symtab *t)
{
	/* kallsyms comes in the kernel's own order: keep it, ties included. */
	bool sorted = true;
	for (size_t i = 1; i < t->count && sorted; i++)
		sorted = t->syms[i - 1].address <= t->syms[i].address;
	if (!sorted)
		qsort_r(t->syms, t->count, sizeof(*t->syms), compare_address, t->pool);
	t->hash_size = 1;
	while (t->hash_size < t->count * 2)
		t->hash_size *= 2;
	t->hash = calloc(t->hash_size, sizeof(*t->hash));
	if (!t->hash)
		return &kt_error_out_of_memory;
	for (size_t i = 0; i < t->count; i++) {
		size_t h = hash_name(t->pool + t->syms[i].name) & (t->hash_size - 1);
		/* The first of duplicate names wins (lowest address, global). */
		while (t->hash[h]) {
			if (strcmp(t->pool + t->syms[t->hash[h] - 1].name,
				   t->pool + t->syms[i].name) == 0)
				break;
			h = (h + 1) & (t->hash_size - 1);
		}
		if (!t->hash[h])
			t->hash[h] = (uint32_t)(i + 1);
	}
	return NULL;
}

size_t kt_symtab_count(const struct kt_symtab *t)
{
	return t ? t->count : 0;
}

bool kt_symtab_lookup_name(const struct kt_symtab *t, const char *name,
			   uint64_t *address)
{
	if (!t || !t->hash_size)
		return false;
	size_t h = hash_name(name) & (t->hash_size - 1);
	while (t->hash[h]) {
		const struct ksym *s = &t->syms[t->hash[h] - 1];
		if (strcmp(t->pool + s->name, name) == 0) {
			*address = s->address;
			return true;
		}
		h = (h + 1) & (t->hash_size - 1);
	}
	return false;
}

bool kt_symtab_lookup_address(const struct kt_symtab *t, uint64_t address,
			      struct kt_symbol *symbol)
{
	if (!t || !t->count || address < t->syms[0].address)
		return false;
	size_t lo = 0, hi = t->count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->syms[mid].address <= address)
			lo = mid;
		else
			hi = mid;
	}
	/* Among symbols at one address, sorting put the preferred first. */
	while (lo > 0 && t->syms[lo - 1].address == t->syms[lo].address)
		lo--;
	const struct ksym *s = &t->syms[lo];
	size_t next = lo + 1;
	while (next < t->count && t->syms[next].address == s->address)
		next++;
	*symbol = (struct kt_symbol){
		.name = t->pool + s->name,
		.address = s->address,
		.size = next < t->count ? t->syms[next].address - s->address : 0,
		.type = s->type,
	};
	return true;
}

static struct kt_error *load_table(struct kt_kernel *k, struct kt_symtab *t)
{
	if (k->options.vmlinux) {
		struct kt_error *err = kt_vmlinux_symbols_load(k, k->options.vmlinux, t);
		if (!err)
			return NULL;
		kt_kernel_warn(k, "%s; using kallsyms", kt_error_string(err));
		kt_error_free(err);
	}
	if (k->options.system_map) {
		struct kt_error *err = kt_system_map_load(k, k->options.system_map, t);
		if (!err)
			return NULL;
		kt_kernel_warn(k, "%s; using kallsyms", kt_error_string(err));
		kt_error_free(err);
	}
	return kt_kallsyms_load(k, t);
}

struct kt_error *kt_symbols_init(struct kt_kernel *k)
{
	struct kt_symbols *s = calloc(1, sizeof(*s));
	if (!s)
		return &kt_error_out_of_memory;
	s->table = kt_symtab_create();
	if (!s->table) {
		free(s);
		return &kt_error_out_of_memory;
	}
	struct kt_error *err = load_table(k, s->table);
	if (!err)
		err = kt_symtab_finish(s->table);
	if (err) {
		kt_symtab_destroy(s->table);
		free(s);
		return kt_error_wrap(err, "%s", kt_dump_info(k->dump)->path);
	}
	k->symbols = s;
	kt_symtab_lookup_name(s->table, "_stext", &s->text_start);
	kt_symtab_lookup_name(s->table, "_etext", &s->text_end);
	kt_symtab_lookup_name(s->table, "_sinittext", &s->init_start);
	kt_symtab_lookup_name(s->table, "_einittext", &s->init_end);
	kt_symtab_lookup_name(s->table, "_end", &s->image_end);
	return NULL;
}

void kt_symbols_destroy(struct kt_kernel *k)
{
	if (!k->symbols)
		return;
	kt_symtab_destroy(k->symbols->table);
	free(k->symbols);
	k->symbols = NULL;
}

struct kt_error *kt_symbol_address(struct kt_kernel *k, const char *name,
				   uint64_t *address)
{
	struct kt_error *why = kt_kernel_need_symbols(k);
	if (!why && kt_symtab_lookup_name(k->symbols->table, name, address))
		return NULL;
	if (kt_vmcoreinfo_symbol(k->vmcoreinfo, name, address))
		return NULL;
	if (!why && kt_module_symbol_address(k, name, address))
		return NULL;
	if (!why && k->arch->recover_symbol && k->arch->recover_symbol(k, name, address))
		return NULL;
	if (why)
		return kt_error_wrap(why, "symbol %s", name);
	return kt_error_create(KT_ERR_NOT_FOUND, "symbol %s not found", name);
}

/*
 * Without CONFIG_KALLSYMS_ALL (Debian's arm64 kernels) kallsyms has text
 * only, and the last text symbol would "contain" every data address up to
 * the image's end.
 */
static bool text_reaching_past_text(const struct kt_symbols *s,
				    const struct kt_symbol *symbol, uint64_t address)
{
	if (symbol->type != 't' && symbol->type != 'T')
		return false;
	if (s->text_end && symbol->address <= s->text_end && address > s->text_end)
		return true;
	return s->init_end && symbol->address >= s->init_start &&
	       symbol->address <= s->init_end && address > s->init_end;
}

struct kt_error *kt_symbol_at(struct kt_kernel *k, uint64_t address,
			      struct kt_symbol *symbol, uint64_t *offset)
{
	struct kt_error *why = kt_kernel_need_symbols(k);
	if (why)
		return kt_error_wrap(why, "no symbol at 0x%llx", (unsigned long long)address);
	struct kt_symbols *s = k->symbols;
	if (s && address >= s->text_start && address < s->text_end &&
	    kt_symtab_lookup_address(s->table, address, symbol)) {
		*offset = address - symbol->address;
		return NULL;
	}
	if (kt_module_symbol_at(k, address, symbol, offset))
		return NULL;
	/*
	 * Data symbols of the kernel image.  Per-CPU offsets (0..__per_cpu_end)
	 * and absolute symbols (phys_startup_64) are no kernel addresses: they
	 * would "contain" every address up to the image, and differ between
	 * kallsyms and a vmlinux's symbol table.  Nor is a module's memory: the
	 * image's last symbol would "contain" it.
	 */
	if (s && !kt_module_at(k, address) &&
	    (!s->image_end || address <= s->image_end) &&
	    kt_symtab_lookup_address(s->table, address, symbol) &&
	    (symbol->size == 0 || address - symbol->address < symbol->size) &&
	    !text_reaching_past_text(s, symbol, address) &&
	    kt_kernel_is_kernel_address(k, address) &&
	    kt_kernel_is_kernel_address(k, symbol->address)) {
		*offset = address - symbol->address;
		return NULL;
	}
	if (k->arch->recovered_symbol_at && k->arch->recovered_symbol_at(k, address, symbol)) {
		*offset = 0;
		return NULL;
	}
	return kt_error_create(KT_ERR_NOT_FOUND, "no symbol at 0x%llx",
			       (unsigned long long)address);
}

bool kt_symbol_is_text(struct kt_kernel *k, uint64_t address)
{
	struct kt_error *why = kt_kernel_need_symbols(k);
	if (why) {
		kt_error_free(why);
		return false;
	}
	struct kt_symbols *s = k->symbols;
	if (s && address >= s->text_start && address < s->text_end)
		return true;
	if (s && address >= s->init_start && address < s->init_end)
		return true;
	return kt_module_text_contains(k, address);
}

size_t kt_symbol_count(struct kt_kernel *k)
{
	kt_error_free(kt_kernel_need_symbols(k));
	return k->symbols ? kt_symtab_count(k->symbols->table) : 0;
}
