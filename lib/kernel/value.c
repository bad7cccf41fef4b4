// SPDX-License-Identifier: MIT
/*
 * Values of the kernel's types, read from the dump and described by its own
 * BTF: what crash's `struct` and `p` print, without a debug vmlinux.  The
 * object is read whole, then decoded from that buffer, so every member's
 * bytes are bounds-checked against one length.  The tree is bounded too:
 * arrays show their first MAX_ELEMENTS elements,
 * nesting stops at MAX_DEPTH and the whole at MAX_NODES values.
 */
#include <bpf/btf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktriage/inspect.h"
#include "slab.h"
#include "types.h"

#define MAX_VALUE_SIZE (1u << 20)
#define MAX_ELEMENTS 4096
#define MAX_DEPTH 24
#define MAX_NODES 200000
#define MAX_STRING 200

struct name_buffer {
	char text[192];
	size_t used;
};

struct builder {
	struct kt_kernel *kernel;
	const struct btf *btf;
	struct btf_dump *dump;     /* spells type names into names */
	struct name_buffer names;
	const uint8_t *buf;        /* the object's bytes */
	size_t len;
	uint64_t base;             /* the address of buf[0] */
	size_t nodes;
	uint64_t image_start, image_end; /* _text.._end: where symbols name data */
};

static void append_name(void *context, const char *fmt, va_list ap)
{
	struct name_buffer *nb = context;
	size_t room = sizeof(nb->text) - nb->used;
	if (room <= 1)
		return;
	int n = vsnprintf(nb->text + nb->used, room, fmt, ap);
	if (n > 0)
		nb->used += (size_t)n < room ? (size_t)n : room - 1;
}

/* The C spelling of a type; an anonymous struct is "struct {...}". */
static char *type_name(struct builder *b, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(b->btf, id);
	if (t && (btf_is_struct(t) || btf_is_union(t)) && !t->name_off)
		return strdup(btf_is_union(t) ? "union {...}" : "struct {...}");
	if (t && btf_is_enum(t) && !t->name_off)
		return strdup("enum {...}");
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, opts, .field_name = "");
	b->names.used = 0;
	b->names.text[0] = '\0';
	if (!b->dump)
		b->dump = btf_dump__new(b->btf, append_name, &b->names, NULL);
	if (!b->dump || btf_dump__emit_type_decl(b->dump, id, &opts) < 0)
		snprintf(b->names.text, sizeof(b->names.text), "?");
	return strdup(b->names.text);
}

/* Bits [bit_offset, bit_offset+width) of the object, little-endian. */
static bool read_bits(const struct builder *b, uint64_t bit_offset,
		      uint32_t width, uint64_t *value)
{
	uint64_t first = bit_offset / 8;
	uint64_t bytes = (bit_offset % 8 + width + 7) / 8;
	if (width == 0 || width > 64 || bytes > 9 || first > b->len ||
	    bytes > b->len - first)
		return false;
	unsigned __int128 word = 0;
	for (uint64_t i = 0; i < bytes; i++)
		word |= (unsigned __int128)b->buf[first + i] << (8 * i);
	word >>= bit_offset % 8;
	*value = width < 64 ? (uint64_t)word & ((1ull << width) - 1) : (uint64_t)word;
	return true;
}

static uint64_t sign_extend(uint64_t value, uint32_t width)
{
	if (width == 0 || width >= 64)
		return value;
	uint64_t sign = 1ull << (width - 1);
	return (value ^ sign) - sign;
}

static char *format_string(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static char *format_string(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/*
 * What a pointer points into: a symbol of the kernel image or of a module,
 * as gdb names it ("init_task+16", decimal), or a slab object.
 */
static void annotate_pointer(struct builder *b, struct kt_value *v)
{
	uint64_t p = v->bits;
	if (!p)
		return;
	bool in_image = p >= b->image_start && p < b->image_end;
	if (in_image || kt_module_at(b->kernel, p)) {
		struct kt_symbol symbol;
		uint64_t offset;
		struct kt_error *err = kt_symbol_at(b->kernel, p, &symbol, &offset);
		if (!err)
			v->symbol = offset ? format_string("%s+%llu", symbol.name,
							   (unsigned long long)offset)
					   : strdup(symbol.name);
		kt_error_free(err);
		return;
	}
	struct kt_slab_object object;
	if (kt_slab_object_at(b->kernel, p, &object))
		v->slab = format_string("%s+0x%llx", object.cache,
					(unsigned long long)object.offset);
}

static bool is_char(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, kt_btf_resolve(btf, id));
	if (!t || !btf_is_int(t) || t->size != 1)
		return false;
	const char *name = btf__name_by_offset(btf, t->name_off);
	return (btf_int_encoding(t) & BTF_INT_CHAR) ||
	       (name && strstr(name, "char"));
}

/* gdb prints the string a char * points to, up to `print elements`. */
static void read_pointed_string(struct builder *b, struct kt_value *v)
{
	char text[MAX_STRING + 2];
	struct kt_error *err = kt_kernel_read_string(b->kernel, v->bits, text,
						     sizeof(text));
	if (err) {
		kt_error_free(err);
		return;
	}
	size_t n = strlen(text);
	v->bytes = malloc(n + 1);
	if (!v->bytes)
		return;
	memcpy(v->bytes, text, n + 1);
	v->nr_bytes = n;
	v->string_read = true;
}

static void fill_pointer(struct builder *b, struct kt_value *v,
			 const struct btf_type *t, uint64_t bit_offset)
{
	v->kind = KT_VALUE_POINTER;
	if (!read_bits(b, bit_offset, 64, &v->bits))
		return;
	const struct btf_type *target =
		btf__type_by_id(b->btf, kt_btf_resolve(b->btf, t->type));
	if (target && btf_is_func_proto(target))
		v->kind = KT_VALUE_FUNCTION;
	annotate_pointer(b, v);
	if (v->kind == KT_VALUE_POINTER && v->bits && is_char(b->btf, t->type))
		read_pointed_string(b, v);
}

static const char *enumerator_of(const struct btf *btf,
				 const struct btf_type *t, uint64_t value)
{
	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);
		for (uint16_t i = 0; i < btf_vlen(t); i++, e++)
			if ((uint32_t)e->val == (uint32_t)value)
				return btf__name_by_offset(btf, e->name_off);
	} else if (btf_is_enum64(t)) {
		const struct btf_enum64 *e = btf_enum64(t);
		for (uint16_t i = 0; i < btf_vlen(t); i++, e++)
			if (btf_enum64_value(e) == value)
				return btf__name_by_offset(btf, e->name_off);
	}
	return NULL;
}

/* Integers, enums, chars and bools: width bits at bit_offset. */
static void fill_scalar(struct builder *b, struct kt_value *v,
			const struct btf_type *t, uint64_t bit_offset,
			uint32_t width)
{
	uint64_t raw = 0;
	if (!read_bits(b, bit_offset, width, &raw))
		return;
	if (btf_is_int(t)) {
		uint8_t encoding = btf_int_encoding(t);
		v->is_signed = encoding & BTF_INT_SIGNED;
		if (encoding & BTF_INT_BOOL)
			v->kind = KT_VALUE_BOOL;
		else if (t->size == 1 && !v->bit_size)
			v->kind = KT_VALUE_CHAR;
		else
			v->kind = KT_VALUE_INT;
	} else {
		v->kind = KT_VALUE_ENUM;
		v->is_signed = btf_kflag(t);
		v->enumerator = enumerator_of(b->btf, t, raw);
	}
	v->bits = v->is_signed ? sign_extend(raw, width) : raw;
}

static struct kt_error *fill(struct builder *b, struct kt_value *v, uint32_t id,
			     uint64_t bit_offset, uint32_t bit_size, int depth);

static struct kt_error *new_children(struct builder *b, struct kt_value *v,
				     size_t count)
{
	if (count > MAX_NODES - b->nodes)
		return kt_error_create(KT_ERR_UNSUPPORTED,
				       "%s at 0x%llx: more than %u values to show",
				       v->type ? v->type : "value",
				       (unsigned long long)v->address, MAX_NODES);
	b->nodes += count;
	if (!count)
		return NULL;
	v->children = calloc(count, sizeof(*v->children));
	if (!v->children)
		return &kt_error_out_of_memory;
	v->count = count;
	return NULL;
}

/* A char array is its bytes, as gdb prints a string; others element-wise. */
static struct kt_error *fill_array(struct builder *b, struct kt_value *v,
				   const struct btf_type *t,
				   uint64_t bit_offset, int depth)
{
	const struct btf_array *a = btf_array(t);
	v->kind = KT_VALUE_ARRAY;
	v->total = a->nelems;
	__s64 element = btf__resolve_size(b->btf, a->type);
	if (element <= 0 || bit_offset / 8 > b->len ||
	    (uint64_t)element * a->nelems > b->len - bit_offset / 8)
		return NULL; /* a flexible array, or past the object */
	if (is_char(b->btf, a->type) && !a->nelems) {
		/* A flexible char array: gdb reads the string that starts there. */
		v->kind = KT_VALUE_CHARS;
		v->bits = v->address;
		read_pointed_string(b, v);
		return NULL;
	}
	if (is_char(b->btf, a->type)) {
		v->kind = KT_VALUE_CHARS;
		v->bytes = malloc(a->nelems ? a->nelems : 1);
		if (!v->bytes)
			return &kt_error_out_of_memory;
		memcpy(v->bytes, b->buf + bit_offset / 8, a->nelems);
		v->nr_bytes = a->nelems;
		return NULL;
	}
	size_t shown = a->nelems < MAX_ELEMENTS ? a->nelems : MAX_ELEMENTS;
	struct kt_error *err = new_children(b, v, shown);
	for (size_t i = 0; !err && i < shown; i++)
		err = fill(b, &v->children[i], a->type,
			   bit_offset + i * (uint64_t)element * 8, 0, depth + 1);
	return err;
}

static struct kt_error *fill_struct(struct builder *b, struct kt_value *v,
				    const struct btf_type *t,
				    uint64_t bit_offset, int depth)
{
	v->kind = KT_VALUE_STRUCT;
	v->is_union = btf_is_union(t);
	struct kt_error *err = new_children(b, v, btf_vlen(t));
	const struct btf_member *m = btf_members(t);
	for (uint16_t i = 0; !err && i < btf_vlen(t); i++, m++) {
		struct kt_value *child = &v->children[i];
		if (m->name_off)
			child->name = btf__name_by_offset(b->btf, m->name_off);
		err = fill(b, child, m->type,
			   bit_offset + btf_member_bit_offset(t, i),
			   btf_member_bitfield_size(t, i), depth + 1);
	}
	return err;
}

static struct kt_error *fill(struct builder *b, struct kt_value *v, uint32_t id,
			     uint64_t bit_offset, uint32_t bit_size, int depth)
{
	v->type = type_name(b, id);
	v->address = b->base + bit_offset / 8;
	v->bit_size = bit_size;
	v->kind = KT_VALUE_OPAQUE;
	const struct btf_type *t = btf__type_by_id(b->btf, kt_btf_resolve(b->btf, id));
	if (!v->type)
		return &kt_error_out_of_memory;
	if (!t || depth > MAX_DEPTH)
		return NULL;
	__s64 size = btf__resolve_size(b->btf, id);
	v->size = size > 0 ? (uint64_t)size : 0;
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		fill_scalar(b, v, t, bit_offset,
			    bit_size ? bit_size : (uint32_t)(v->size * 8));
		return NULL;
	case BTF_KIND_PTR:
		fill_pointer(b, v, t, bit_offset);
		return NULL;
	case BTF_KIND_FLOAT:
		v->kind = KT_VALUE_FLOAT;
		if (v->size == 8 || v->size == 4)
			read_bits(b, bit_offset, (uint32_t)v->size * 8, &v->bits);
		return NULL;
	case BTF_KIND_ARRAY:
		return fill_array(b, v, t, bit_offset, depth);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return fill_struct(b, v, t, bit_offset, depth);
	default:
		return NULL;
	}
}

static void clear(struct kt_value *v)
{
	for (size_t i = 0; i < v->count; i++)
		clear(&v->children[i]);
	free(v->children);
	free(v->type);
	free(v->symbol);
	free(v->slab);
	free(v->bytes);
}

void kt_value_free(struct kt_value *value)
{
	if (!value)
		return;
	clear(value);
	free(value);
}

/* C's spellings of base types, as BTF (from DWARF) names them. */
static const char *btf_spelling(const char *type)
{
	static const struct {
		const char *c, *btf;
	} names[] = {
		{ "unsigned long", "long unsigned int" },
		{ "long", "long int" },
		{ "unsigned", "unsigned int" },
		{ "unsigned long long", "long long unsigned int" },
		{ "long long", "long long int" },
		{ "unsigned short", "short unsigned int" },
		{ "short", "short int" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(type, names[i].c) == 0)
			return names[i].btf;
	return type;
}

/* "task_struct" may be a struct, a union, an enum or a typedef, as in crash. */
static struct kt_error *find_named_type(struct kt_kernel *k, const char *type,
					const struct btf **btf, uint32_t *id)
{
	type = btf_spelling(type);
	struct kt_error *err = kt_types_btf(k, type, btf, id);
	if (!err || err->code != KT_ERR_NOT_FOUND || strchr(type, ' '))
		return err;
	static const char *const kinds[] = { "struct ", "union ", "enum " };
	for (size_t i = 0; i < 3; i++) {
		char name[256];
		snprintf(name, sizeof(name), "%s%s", kinds[i], type);
		struct kt_error *again = kt_types_btf(k, name, btf, id);
		if (!again) {
			kt_error_free(err);
			return NULL;
		}
		kt_error_free(again);
	}
	return err;
}

struct selection {
	uint32_t id;
	uint64_t bit_offset;
	uint32_t bit_size;
	uint64_t size;       /* bytes to read from bit_offset / 8 */
};

static struct kt_error *select_member(const struct btf *btf, uint32_t id,
				      const char *type, const char *member,
				      struct selection *out)
{
	*out = (struct selection){ .id = id };
	for (const char *p = member; p && *p;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (!kt_btf_find_member(btf, out->id, p, len, &out->bit_offset,
				 &out->bit_size, &out->id, 0))
			return kt_error_create(KT_ERR_NOT_FOUND,
					       "%s has no member %s", type, member);
		p += len + (dot ? 1 : 0);
	}
	__s64 size = btf__resolve_size(btf, out->id);
	if (size < 0)
		return kt_error_create(KT_ERR_UNSUPPORTED,
				       "%s%s%s has no size (a declaration only?)",
				       type, member ? "." : "", member ? member : "");
	out->size = out->bit_size ? (out->bit_offset % 8 + out->bit_size + 7) / 8
				  : (uint64_t)size;
	if (out->size > MAX_VALUE_SIZE)
		return kt_error_create(KT_ERR_UNSUPPORTED,
				       "%s is %llu bytes, more than ktriage shows at once",
				       type, (unsigned long long)out->size);
	return NULL;
}

static void image_bounds(struct kt_kernel *k, uint64_t *start, uint64_t *end)
{
	struct kt_error *err = kt_symbol_address(k, "_text", start);
	if (!err)
		err = kt_symbol_address(k, "_end", end);
	if (err)
		*start = *end = 0;
	kt_error_free(err);
}

static struct kt_error *build(struct kt_kernel *k, const struct btf *btf,
			      const struct selection *sel, const char *name,
			      uint64_t address, struct kt_value **out)
{
	uint64_t first = sel->bit_offset / 8;
	struct builder b = { .kernel = k, .btf = btf, .len = (size_t)sel->size,
			     .base = address + first };
	uint8_t *buf = malloc(b.len ? b.len : 1);
	struct kt_value *v = calloc(1, sizeof(*v));
	if (!buf || !v) {
		free(buf);
		free(v);
		return &kt_error_out_of_memory;
	}
	b.buf = buf;
	struct kt_error *err = kt_kernel_read(k, b.base, buf, b.len);
	if (err) {
		err = kt_error_wrap(err, "%s at 0x%llx", name,
				    (unsigned long long)address);
	} else {
		image_bounds(k, &b.image_start, &b.image_end);
		err = fill(&b, v, sel->id, sel->bit_offset % 8, sel->bit_size, 0);
	}
	btf_dump__free(b.dump);
	free(buf);
	if (err) {
		kt_value_free(v);
		return err;
	}
	*out = v;
	return NULL;
}

struct kt_error *kt_value_at(struct kt_kernel *k, const char *type,
			     const char *member, uint64_t address,
			     struct kt_value **out)
{
	const struct btf *btf;
	uint32_t id;
	struct selection sel;
	struct kt_error *err = find_named_type(k, type, &btf, &id);
	if (!err)
		err = select_member(btf, id, type, member, &sel);
	if (err)
		return err;
	return build(k, btf, &sel, type, address, out);
}

/* The VAR a DATASEC of per-CPU data declares under this name, or 0. */
static uint32_t per_cpu_variable(const struct btf *btf, const char *symbol)
{
	uint32_t n = btf__type_cnt(btf);
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (!btf_is_datasec(t) ||
		    strcmp(btf__name_by_offset(btf, t->name_off), ".data..percpu"))
			continue;
		const struct btf_var_secinfo *s = btf_var_secinfos(t);
		for (uint16_t i = 0; i < btf_vlen(t); i++, s++) {
			const struct btf_type *var = btf__type_by_id(btf, s->type);
			if (var && btf_is_var(var) &&
			    strcmp(btf__name_by_offset(btf, var->name_off), symbol) == 0)
				return var->type;
		}
	}
	return 0;
}

bool kt_variable_is_per_cpu(struct kt_kernel *k, const char *symbol)
{
	const struct btf *btf;
	uint32_t id;
	struct kt_error *err = kt_types_btf(k, NULL, &btf, &id);
	kt_error_free(err);
	return !err && per_cpu_variable(btf, symbol);
}

/* BTF describes no global variables but per-CPU ones: the few we use. */
static const char *type_of_variable(const char *variable)
{
	static const struct {
		const char *variable, *type;
	} table[] = {
		{ "init_task", "struct task_struct" },
		{ "init_uts_ns", "struct uts_namespace" },
		{ "runqueues", "struct rq" },
		{ "modules", "struct list_head" },
		{ "vm_zone_stat", "atomic_long_t" },
		{ "vm_node_stat", "atomic_long_t" },
		{ "cgroup_mutex", "struct mutex" },
		{ "cgroup_threadgroup_rwsem", "struct percpu_rw_semaphore" },
		{ "prb", "struct printk_ringbuffer" },
		{ "avenrun", "unsigned long" },
		{ "tainted_mask", "unsigned long" },
		{ "jiffies", "unsigned long" },
		{ "page_offset_base", "unsigned long" },
		{ "vmemmap_base", "unsigned long" },
		{ "vmalloc_base", "unsigned long" },
		{ "nr_threads", "int" },
		{ "max_pfn", "unsigned long" },
		{ "panic_cpu", "atomic_t" },
		{ "node_data", "struct pglist_data *" },
		{ "totalram_pages", "atomic_long_t" },
		{ "total_swap_pages", "long" },
		{ "totalreserve_pages", "unsigned long" },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].variable, variable) == 0)
			return table[i].type;
	return NULL;
}

static struct kt_error *variable_type(struct kt_kernel *k, const char *symbol,
				      const struct btf **btf, uint32_t *id)
{
	struct kt_error *err = kt_types_btf(k, NULL, btf, id);
	if (err)
		return err;
	*id = per_cpu_variable(*btf, symbol);
	if (*id)
		return NULL;
	const char *known = type_of_variable(symbol);
	if (known)
		return find_named_type(k, known, btf, id);
	return kt_error_create(KT_ERR_NOT_FOUND,
			       "%s: BTF gives the types of per-CPU variables only; "
			       "use `struct TYPE ADDRESS` with its address", symbol);
}

struct kt_error *kt_value_of_variable(struct kt_kernel *k, const char *symbol,
				      int cpu, const char *member,
				      struct kt_value **out, uint64_t *address)
{
	const struct btf *btf;
	uint32_t id;
	struct selection sel;
	struct kt_error *err = kt_symbol_address(k, symbol, address);
	if (!err)
		err = variable_type(k, symbol, &btf, &id);
	if (!err && cpu >= 0) {
		if (!per_cpu_variable(btf, symbol))
			return kt_error_create(KT_ERR_USAGE,
					       "%s is not a per-CPU variable", symbol);
		err = kt_kernel_per_cpu(k, *address, (unsigned)cpu, address);
	} else if (!err && per_cpu_variable(btf, symbol)) {
		return kt_error_create(KT_ERR_USAGE,
				       "%s is per-CPU: name a CPU, %s:0", symbol, symbol);
	}
	if (!err)
		err = select_member(btf, id, symbol, member, &sel);
	if (err)
		return err;
	return build(k, btf, &sel, symbol, *address, out);
}
