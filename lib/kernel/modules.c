// SPDX-License-Identifier: MIT
/*
 * The module list: `modules` is a list_head threading struct module.list.
 * Each struct module is read whole, once, and its fields picked by the
 * offsets BTF gives.  Where the module's memory is differs by version:
 * core_layout/init_layout until 6.3, mem[MOD_*] (struct module_memory) from
 * 6.4; both are turned into regions (text or not) so that lookups do not
 * care.  The list is hostile: walks are bounded, a node seen twice ends the
 * walk, and a damaged entry gives the modules read so far and a warning.
 */
#include <stdlib.h>
#include <string.h>

#include "ktriage/base.h"
#include "modules.h"
#include "symtab.h"

#define MAX_MODULE_STRUCT (64u << 10)
#define MAX_MODULE_SIZE (1ull << 30) /* module space is 1-2 GB at most */

struct field {
	uint64_t offset, size;
};

/* Where struct module keeps what we read; found once per walk. */
struct module_shape {
	uint64_t struct_size;
	struct field list_next, name, taints, kallsyms;
	bool has_mem; /* 6.4+: mem[] of struct module_memory */
	/* up to 6.3 */
	struct field core_base, core_size, core_text_size;
	struct field init_base, init_size, init_text_size;
	/* 6.4+ */
	uint64_t mem_offset, mem_count, mem_stride;
	struct field mem_base, mem_size;
	int64_t mod_text, mod_init_text, mod_init_first;
};

static struct kt_error *find_field(struct kt_kernel *k, const char *type,
				   const char *member, struct field *f)
{
	struct kt_member m;
	struct kt_error *err = kt_type_member(k, type, member, &m);
	if (err)
		return err;
	if (m.bit_size || m.bit_offset % 8)
		return kt_error_create(KT_ERR_UNSUPPORTED, "%s.%s is a bitfield",
				       type, member);
	f->offset = m.bit_offset / 8;
	f->size = m.size;
	return NULL;
}

static uint64_t get_field(const uint8_t *buf, size_t buf_size,
			  const struct field *f)
{
	size_t n = f->size < sizeof(uint64_t) ? (size_t)f->size : sizeof(uint64_t);
	return f->offset + n <= buf_size ? kt_le_uint(buf + f->offset, n) : 0;
}

static struct kt_error *find_layout_shape(struct kt_kernel *k,
					  struct module_shape *s)
{
	static const char *const mod = "struct module";
	struct kt_error *err = NULL;
	const struct {
		const char *member;
		struct field *f;
	} core[] = {
		{ "core_layout.base", &s->core_base },
		{ "core_layout.size", &s->core_size },
		{ "core_layout.text_size", &s->core_text_size },
		{ "init_layout.base", &s->init_base },
		{ "init_layout.size", &s->init_size },
		{ "init_layout.text_size", &s->init_text_size },
	};
	for (size_t i = 0; i < sizeof(core) / sizeof(core[0]) && !err; i++)
		err = find_field(k, mod, core[i].member, core[i].f);
	return err;
}

static struct kt_error *find_mem_shape(struct kt_kernel *k,
				       struct module_shape *s)
{
	struct kt_member mem;
	struct kt_error *err = kt_type_member(k, "struct module", "mem", &mem);
	if (!err)
		err = kt_type_sizeof(k, "struct module_memory", &s->mem_stride);
	if (!err)
		err = find_field(k, "struct module_memory", "base", &s->mem_base);
	if (!err)
		err = find_field(k, "struct module_memory", "size", &s->mem_size);
	if (!err)
		err = kt_type_enum_value(k, "enum mod_mem_type", "MOD_TEXT",
					 &s->mod_text);
	if (!err)
		err = kt_type_enum_value(k, "enum mod_mem_type", "MOD_INIT_TEXT",
					 &s->mod_init_text);
	if (err)
		return err;
	/* The init types follow the core ones; MOD_INIT_TEXT is the first. */
	s->mod_init_first = s->mod_init_text;
	if (!s->mem_stride || s->mem_stride > MAX_MODULE_STRUCT)
		return kt_error_create(KT_ERR_INVALID,
				       "struct module_memory is %llu bytes",
				       (unsigned long long)s->mem_stride);
	s->mem_offset = mem.bit_offset / 8;
	s->mem_count = mem.size / s->mem_stride;
	if (s->mem_count > KT_MODULE_MAX_REGIONS)
		s->mem_count = KT_MODULE_MAX_REGIONS;
	s->has_mem = true;
	return NULL;
}

static struct kt_error *find_shape(struct kt_kernel *k, struct module_shape *s)
{
	static const char *const mod = "struct module";
	memset(s, 0, sizeof(*s));
	struct kt_error *err = kt_type_sizeof(k, mod, &s->struct_size);
	if (!err && (s->struct_size == 0 || s->struct_size > MAX_MODULE_STRUCT))
		err = kt_error_create(KT_ERR_INVALID, "struct module is %llu bytes",
				      (unsigned long long)s->struct_size);
	if (!err)
		err = find_field(k, mod, "list.next", &s->list_next);
	if (!err)
		err = find_field(k, mod, "name", &s->name);
	if (!err)
		err = find_field(k, mod, "taints", &s->taints);
	if (err)
		return err;
	if (find_field(k, mod, "kallsyms", &s->kallsyms)) /* !CONFIG_KALLSYMS */
		s->kallsyms = (struct field){ 0, 0 };
	if (kt_type_has_member(k, mod, "core_layout"))
		return find_layout_shape(k, s);
	if (kt_type_has_member(k, mod, "mem"))
		return find_mem_shape(k, s);
	return kt_error_create(KT_ERR_UNSUPPORTED,
			       "struct module has neither core_layout nor mem[]");
}

static void add_region(struct kt_module_detail *d, uint64_t base,
		       uint64_t size, bool text)
{
	if (!base || !size || size > MAX_MODULE_SIZE || base + size < base ||
	    d->nr_regions >= KT_MODULE_MAX_REGIONS)
		return;
	d->regions[d->nr_regions++] = (struct kt_module_region){ base, size, text };
}

/* Up to 6.3: text first in each layout, then read-only and writable data. */
static void decode_layouts(const struct module_shape *s, const uint8_t *buf,
			   size_t n, struct kt_module *m, struct kt_module_detail *d)
{
	m->base = get_field(buf, n, &s->core_base);
	m->size = get_field(buf, n, &s->core_size);
	m->text_size = get_field(buf, n, &s->core_text_size);
	if (m->text_size > m->size)
		m->text_size = m->size;
	add_region(d, m->base, m->text_size, true);
	add_region(d, m->base + m->text_size, m->size - m->text_size, false);
	uint64_t base = get_field(buf, n, &s->init_base);
	uint64_t size = get_field(buf, n, &s->init_size);
	uint64_t text = get_field(buf, n, &s->init_text_size);
	if (text > size)
		text = size;
	add_region(d, base, text, true);
	add_region(d, base + text, size - text, false);
}

/* 6.4+: the module's "base" is its text, its size that of every core type. */
static void decode_mem(const struct module_shape *s, const uint8_t *buf,
		       size_t n, struct kt_module *m, struct kt_module_detail *d)
{
	for (uint64_t i = 0; i < s->mem_count; i++) {
		struct field base = s->mem_base, size = s->mem_size;
		base.offset += s->mem_offset + i * s->mem_stride;
		size.offset += s->mem_offset + i * s->mem_stride;
		uint64_t b = get_field(buf, n, &base);
		uint64_t sz = get_field(buf, n, &size);
		bool text = (int64_t)i == s->mod_text || (int64_t)i == s->mod_init_text;
		if ((int64_t)i == s->mod_text) {
			m->base = b;
			m->text_size = sz;
		}
		if ((int64_t)i < s->mod_init_first && sz <= MAX_MODULE_SIZE)
			m->size += sz;
		add_region(d, b, sz, text);
	}
}

static bool decode_name(const struct module_shape *s, const uint8_t *buf,
			size_t n, struct kt_module *m)
{
	size_t len = s->name.size < sizeof(m->name) ? (size_t)s->name.size
						     : sizeof(m->name) - 1;
	if (s->name.offset + len > n)
		return false;
	memcpy(m->name, buf + s->name.offset, len);
	m->name[len] = '\0';
	if (!m->name[0])
		return false;
	for (const char *c = m->name; *c; c++)
		if (*c <= ' ' || *c > '~')
			return false;
	return true;
}

static struct kt_error *read_module(struct kt_kernel *k,
				    const struct module_shape *s,
				    uint64_t address, uint8_t *buf,
				    struct kt_module *m, struct kt_module_detail *d)
{
	size_t n = (size_t)s->struct_size;
	struct kt_error *err = kt_kernel_read(k, address, buf, n);
	if (err)
		return err;
	memset(m, 0, sizeof(*m));
	memset(d, 0, sizeof(*d));
	m->address = address;
	if (!decode_name(s, buf, n, m))
		return kt_error_create(KT_ERR_INVALID, "the name is not a module name");
	m->taints = get_field(buf, n, &s->taints);
	kt_module_taint_letters(m->taints, m->taint_letters,
				sizeof(m->taint_letters));
	if (s->kallsyms.size)
		d->kallsyms = get_field(buf, n, &s->kallsyms);
	if (s->has_mem)
		decode_mem(s, buf, n, m, d);
	else
		decode_layouts(s, buf, n, m, d);
	return NULL;
}

static bool append(struct kt_module_list *list, size_t *cap)
{
	if (list->count < *cap)
		return true;
	size_t n = *cap ? *cap * 2 : 32;
	struct kt_module *m = realloc(list->modules, n * sizeof(*m));
	if (!m)
		return false;
	list->modules = m;
	struct kt_module_detail *d = realloc(list->details, n * sizeof(*d));
	if (!d)
		return false;
	list->details = d;
	*cap = n;
	return true;
}

/* Follow modules.next round to the head; a bad entry ends the list there. */
static struct kt_error *walk(struct kt_kernel *k, const struct module_shape *s,
			     uint64_t head, struct kt_module_list *list)
{
	uint8_t *buf = malloc((size_t)s->struct_size);
	if (!buf)
		return &kt_error_out_of_memory;
	struct kt_list_walk lw;
	kt_list_walk_kernel(&lw, k, head);
	lw.limit = kt_kernel_max_objects(k, s->struct_size);
	size_t cap = 0;
	uint64_t node;
	struct kt_error *err = NULL, *bad;
	while (!(bad = kt_list_walk_next(&lw, &node)) && node) {
		if (!append(list, &cap)) {
			err = &kt_error_out_of_memory;
			break;
		}
		uint64_t address = node - s->list_next.offset;
		bad = read_module(k, s, address, buf, &list->modules[list->count],
				  &list->details[list->count]);
		if (bad) {
			bad = kt_error_wrap(bad, "struct module at 0x%llx",
					    (unsigned long long)address);
			break;
		}
		list->count++;
	}
	if (bad) {
		kt_kernel_warn(k, "module list: %s; %zu modules read", kt_error_string(bad),
			       list->count);
		kt_error_free(bad);
	}
	kt_list_walk_destroy(&lw);
	free(buf);
	return err;
}

static int compare_base(const void *a, const void *b, void *modules)
{
	const struct kt_module *m = modules;
	uint64_t x = m[*(const size_t *)a].base, y = m[*(const size_t *)b].base;
	return x < y ? -1 : x > y;
}

/* Sort modules and their details together, by base (crash's order). */
static struct kt_error *sort_by_base(struct kt_module_list *list)
{
	size_t n = list->count;
	if (n < 2)
		return NULL;
	size_t *order = malloc(n * sizeof(*order));
	struct kt_module *m = malloc(n * sizeof(*m));
	struct kt_module_detail *d = malloc(n * sizeof(*d));
	if (!order || !m || !d) {
		free(order);
		free(m);
		free(d);
		return &kt_error_out_of_memory;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), compare_base, list->modules);
	for (size_t i = 0; i < n; i++) {
		m[i] = list->modules[order[i]];
		d[i] = list->details[order[i]];
	}
	free(order);
	free(list->modules);
	free(list->details);
	list->modules = m;
	list->details = d;
	return NULL;
}

static struct kt_error *load(struct kt_kernel *k, struct kt_module_list *list)
{
	struct module_shape shape;
	uint64_t head;
	struct kt_error *err = kt_symbol_address(k, "modules", &head);
	if (!err)
		err = find_shape(k, &shape);
	if (!err)
		err = walk(k, &shape, head, list);
	if (!err)
		err = sort_by_base(list);
	return err ? kt_error_wrap(err, "module list") : NULL;
}

struct kt_module_list *kt_module_list(struct kt_kernel *k)
{
	if (k->modules)
		return k->modules->loading ? NULL : k->modules;
	struct kt_error *why = kt_kernel_need_types(k);
	if (why) { /* no types, or still bootstrapping them: ask again later */
		kt_error_free(why);
		return NULL;
	}
	struct kt_module_list *list = calloc(1, sizeof(*list));
	if (!list)
		return NULL;
	k->modules = list;
	list->loading = true;
	struct kt_error *err = load(k, list);
	list->loading = false;
	if (err) {
		/* Keep what was read; an empty list is an answer too. */
		kt_kernel_warn(k, "%s", kt_error_string(err));
		kt_error_free(err);
	}
	return list;
}

struct kt_error *kt_modules(struct kt_kernel *k, const struct kt_module **modules,
			    size_t *count)
{
	const char *path = kt_dump_info(k->dump)->path;
	struct kt_error *why = kt_kernel_need_types(k);
	if (why) /* struct module is only known through the types */
		return kt_error_wrap(why, "%s: module list", path);
	struct kt_module_list *list = kt_module_list(k);
	if (!list)
		return kt_error_create(KT_ERR_NOMEM, "%s: module list: out of memory",
				       path);
	*modules = list->modules;
	*count = list->count;
	return NULL;
}

long kt_module_index_at(struct kt_module_list *list, uint64_t address,
			const struct kt_module_region **region)
{
	for (size_t i = 0; i < list->count; i++) {
		const struct kt_module_detail *d = &list->details[i];
		for (size_t r = 0; r < d->nr_regions; r++)
			if (address - d->regions[r].base < d->regions[r].size) {
				if (region)
					*region = &d->regions[r];
				return (long)i;
			}
	}
	return -1;
}

const struct kt_module *kt_module_at(struct kt_kernel *k, uint64_t address)
{
	struct kt_module_list *list = kt_module_list(k);
	long i = list ? kt_module_index_at(list, address, NULL) : -1;
	return i < 0 ? NULL : &list->modules[i];
}

bool kt_module_text_contains(struct kt_kernel *k, uint64_t address)
{
	const struct kt_module_region *region;
	struct kt_module_list *list = kt_module_list(k);
	return list && kt_module_index_at(list, address, &region) >= 0 &&
	       region->text;
}

void kt_modules_destroy(struct kt_kernel *k)
{
	struct kt_module_list *list = k->modules;
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		kt_symtab_destroy(list->details[i].symbols);
	free(list->modules);
	free(list->details);
	free(list);
	k->modules = NULL;
}
