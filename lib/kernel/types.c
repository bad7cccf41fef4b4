// SPDX-License-Identifier: MIT
/*
 * Types: the kt_type_* API over one back-end.  By default the kernel's own
 * BTF (__start_BTF..__stop_BTF in the dump), or a --btf file, parsed by
 * libbpf; with --vmlinux, the DWARF of that debug vmlinux (types_dwarf.c).
 * BTF lookups by name go through a hash built once, since libbpf's own
 * lookup scans every type.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "types.h"

#define MAX_DEPTH 32

/* The BTF back-end's state. */
struct kt_types_backend {
	struct btf *btf;
	uint32_t *hash; /* type id, 0 when empty: named types by "kind name" */
	size_t hash_size;
};

struct kt_types {
	const struct kt_types_ops *ops;
	struct kt_types_backend *backend;
	const char *source; /* "dump", a file name */
	struct kt_types_backend *dump_btf; /* for kt_types_btf beside DWARF */
	char *kept_path;    /* a BTF kept for the dump's build (btf_dir) */
};

/* Names are keyed with their kind, as C does: "struct foo" vs "foo". */
static const char *kind_prefix(const struct btf_type *t)
{
	switch (btf_kind(t)) {
	case BTF_KIND_STRUCT:
		return "struct ";
	case BTF_KIND_UNION:
		return "union ";
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return "enum ";
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
		return "";
	default:
		return NULL;
	}
}

static uint64_t hash_key(const char *prefix, const char *name)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *s = prefix; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	for (const char *s = name; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static bool key_matches(const struct btf *btf, uint32_t id, const char *key)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const char *prefix = kind_prefix(t);
	size_t plen = strlen(prefix);
	return strncmp(key, prefix, plen) == 0 &&
	       strcmp(key + plen, btf__name_by_offset(btf, t->name_off)) == 0;
}

static struct kt_error *build_hash(struct kt_types_backend *ty)
{
	uint32_t n = btf__type_cnt(ty->btf);
	ty->hash_size = 1;
	while (ty->hash_size < (size_t)n * 2)
		ty->hash_size *= 2;
	ty->hash = calloc(ty->hash_size, sizeof(*ty->hash));
	if (!ty->hash)
		return &kt_error_out_of_memory;
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(ty->btf, id);
		const char *prefix = kind_prefix(t);
		if (!prefix || !t->name_off)
			continue;
		const char *name = btf__name_by_offset(ty->btf, t->name_off);
		if (!name || !*name)
			continue;
		size_t h = hash_key(prefix, name) & (ty->hash_size - 1);
		bool seen = false;
		while (ty->hash[h]) {
			const struct btf_type *o = btf__type_by_id(ty->btf, ty->hash[h]);
			/* Keep the first complete definition of a name. */
			if (kind_prefix(o) && strcmp(kind_prefix(o), prefix) == 0 &&
			    strcmp(btf__name_by_offset(ty->btf, o->name_off), name) == 0) {
				seen = true;
				break;
			}
			h = (h + 1) & (ty->hash_size - 1);
		}
		if (!seen)
			ty->hash[h] = id;
	}
	return NULL;
}

static uint32_t find_type(const struct kt_types_backend *ty, const char *key)
{
	const char *name = key;
	const char *prefix = "";
	static const char *const kinds[] = { "struct ", "union ", "enum " };
	for (size_t i = 0; i < 3; i++)
		if (strncmp(key, kinds[i], strlen(kinds[i])) == 0) {
			prefix = kinds[i];
			name = key + strlen(kinds[i]);
		}
	size_t h = hash_key(prefix, name) & (ty->hash_size - 1);
	char full[256];
	snprintf(full, sizeof(full), "%s%s", prefix, name);
	while (ty->hash[h]) {
		if (key_matches(ty->btf, ty->hash[h], full))
			return ty->hash[h];
		h = (h + 1) & (ty->hash_size - 1);
	}
	return 0;
}

uint32_t kt_btf_resolve(const struct btf *btf, uint32_t id)
{
	for (int depth = 0; depth < MAX_DEPTH; depth++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (!t)
			return 0;
		switch (btf_kind(t)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = t->type;
			break;
		default:
			return id;
		}
	}
	return 0;
}

static struct kt_error *btf_lookup(struct kt_types_backend *b,
				   const char *type, uint32_t *id)
{
	*id = find_type(b, type);
	if (!*id)
		return kt_error_create(KT_ERR_NOT_FOUND, "type %s not found", type);
	return NULL;
}

static struct kt_error *btf_size_of(struct kt_types_backend *b,
				    const char *type, uint64_t *size)
{
	uint32_t id;
	struct kt_error *err = btf_lookup(b, type, &id);
	if (err)
		return err;
	__s64 n = btf__resolve_size(b->btf, id);
	if (n < 0)
		return kt_error_create(KT_ERR_INVALID, "type %s has no size", type);
	*size = (uint64_t)n;
	return NULL;
}

bool kt_btf_find_member(const struct btf *btf, uint32_t id, const char *name,
			size_t name_len, uint64_t *bits, uint32_t *bit_size,
			uint32_t *type, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, kt_btf_resolve(btf, id));
	if (!t || depth > MAX_DEPTH || (!btf_is_struct(t) && !btf_is_union(t)))
		return false;
	const struct btf_member *m = btf_members(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++, m++) {
		uint64_t off = btf_member_bit_offset(t, i);
		if (!m->name_off) {
			uint64_t inner = *bits + off;
			if (kt_btf_find_member(btf, m->type, name, name_len, &inner,
					bit_size, type, depth + 1)) {
				*bits = inner;
				return true;
			}
			continue;
		}
		const char *mname = btf__name_by_offset(btf, m->name_off);
		if (mname && strlen(mname) == name_len &&
		    memcmp(mname, name, name_len) == 0) {
			*bits += off;
			*bit_size = btf_member_bitfield_size(t, i);
			*type = m->type;
			return true;
		}
	}
	return false;
}

static struct kt_error *btf_member(struct kt_types_backend *b,
				   const char *type, const char *member,
				   struct kt_member *out)
{
	uint32_t id;
	struct kt_error *err = btf_lookup(b, type, &id);
	if (err)
		return err;
	uint64_t bits = 0;
	uint32_t bit_size = 0;
	for (const char *p = member; *p;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (!kt_btf_find_member(b->btf, id, p, len, &bits, &bit_size, &id, 0))
			return kt_error_create(KT_ERR_NOT_FOUND,
					       "%s has no member %s", type, member);
		p += len + (dot ? 1 : 0);
	}
	__s64 size = btf__resolve_size(b->btf, id);
	*out = (struct kt_member){
		.bit_offset = bits,
		.bit_size = bit_size,
		.size = size > 0 ? (uint64_t)size : 0,
		.type_id = id,
	};
	return NULL;
}

/* A name from the string section; "" when the offset is outside it. */
static const char *name_at(const struct btf *btf, uint32_t offset)
{
	const char *name = btf__name_by_offset(btf, offset);
	return name ? name : "";
}

/* BTF keeps 32-bit enumerators as __s32; kflag says the enum is signed. */
static bool enum_value_in(const struct btf *btf, const struct btf_type *t,
			  const char *name, int64_t *value)
{
	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);
		for (uint16_t i = 0; i < btf_vlen(t); i++, e++)
			if (strcmp(name_at(btf, e->name_off), name) == 0) {
				*value = btf_kflag(t) ? (int64_t)e->val
						      : (int64_t)(uint32_t)e->val;
				return true;
			}
	} else if (btf_is_enum64(t)) {
		const struct btf_enum64 *e = btf_enum64(t);
		for (uint16_t i = 0; i < btf_vlen(t); i++, e++)
			if (strcmp(name_at(btf, e->name_off), name) == 0) {
				*value = (int64_t)btf_enum64_value(e);
				return true;
			}
	}
	return false;
}

static struct kt_error *btf_enum_value(struct kt_types_backend *b,
				       const char *enum_name,
				       const char *enumerator, int64_t *value)
{
	if (enum_name) {
		uint32_t id;
		struct kt_error *err = btf_lookup(b, enum_name, &id);
		if (err)
			return err;
		if (enum_value_in(b->btf, btf__type_by_id(b->btf, id), enumerator,
				  value))
			return NULL;
	} else {
		uint32_t n = btf__type_cnt(b->btf);
		for (uint32_t id = 1; id < n; id++)
			if (enum_value_in(b->btf, btf__type_by_id(b->btf, id),
					  enumerator, value))
				return NULL;
	}
	return kt_error_create(KT_ERR_NOT_FOUND, "enumerator %s not found",
			       enumerator);
}

static void btf_destroy(struct kt_types_backend *b)
{
	btf__free(b->btf);
	free(b->hash);
	free(b);
}

static const struct kt_types_ops btf_ops = {
	.name = "BTF",
	.size_of = btf_size_of,
	.member = btf_member,
	.enum_value = btf_enum_value,
	.destroy = btf_destroy,
};

static struct kt_error *btf_backend(struct btf *btf,
				    struct kt_types_backend **out)
{
	struct kt_types_backend *b = calloc(1, sizeof(*b));
	if (!b) {
		btf__free(btf);
		return &kt_error_out_of_memory;
	}
	b->btf = btf;
	struct kt_error *err = build_hash(b);
	if (err) {
		btf_destroy(b);
		return err;
	}
	*out = b;
	return NULL;
}

/* The dump's own BTF, or a --btf file. */
static struct kt_error *open_btf(struct kt_kernel *k, const char *path,
				 struct kt_types *ty)
{
	struct btf *btf = NULL;
	struct kt_error *err = path ? kt_btf_from_file(path, &btf)
				    : kt_btf_from_dump(k, &btf);
	if (!err)
		err = btf_backend(btf, &ty->backend);
	if (err)
		return err;
	ty->ops = &btf_ops;
	ty->source = path ? path : "dump";
	return NULL;
}

/*
 * A debug vmlinux gives DWARF.  Without .debug_info, its .BTF section (if
 * any) and then the dump's own BTF.  A vmlinux of another build must not
 * describe this kernel: say so and use the dump's BTF.
 */
static struct kt_error *open_vmlinux(struct kt_kernel *k, struct kt_types *ty)
{
	const char *path = k->options.vmlinux;
	struct kt_error *err = kt_dwarf_types_open(k, path, &ty->ops, &ty->backend);
	if (!err) {
		ty->source = path;
		return NULL;
	}
	if (err->code == KT_ERR_NOT_FOUND) {
		kt_error_free(err);
		err = open_btf(k, path, ty);
		if (!err)
			return NULL;
		kt_error_free(err);
	} else {
		kt_kernel_warn(k, "%s; using the dump's BTF", kt_error_string(err));
		kt_error_free(err);
	}
	return open_btf(k, NULL, ty);
}

static struct kt_error *open_btf_fd(struct kt_kernel *k, int fd, const char *name,
				    struct kt_types *ty)
{
	struct btf *btf = NULL;
	struct kt_error *err = kt_btf_from_fd(fd, name, &btf);
	if (!err)
		err = btf_backend(btf, &ty->backend);
	if (err)
		return err;
	ty->ops = &btf_ops;
	ty->source = name;
	return NULL;
}

/* The descriptor the caller opened for this build's kept BTF, or -1. */
static int kept_fd(const struct kt_kernel *k, const char *id)
{
	for (size_t i = 0; i < k->options.nr_kept_btf; i++)
		if (k->options.kept_btf[i].build_id &&
		    strcmp(k->options.kept_btf[i].build_id, id) == 0)
			return k->options.kept_btf[i].fd;
	return -1;
}

/*
 * The dump has no usable BTF: one kept for its build (BTF_DIR/BUILD-ID.btf,
 * saved by ktriaged from /sys/kernel/btf/vmlinux while that kernel ran).
 * On success *check names it, to be checked against VMCOREINFO; on failure
 * the dump's own error stands.
 */
static struct kt_error *open_kept_btf(struct kt_kernel *k, struct kt_types *ty,
				      struct kt_error *why, const char **check)
{
	const char *id = kt_vmcoreinfo_get(k->vmcoreinfo, "BUILD-ID");
	char *path = NULL;
	if (!id || !*id || strlen(id) > 128 || strspn(id, "0123456789abcdef") != strlen(id))
		return why;
	int fd = kept_fd(k, id);
	if (fd < 0 && (!k->options.btf_dir ||
		       asprintf(&path, "%s/%s.btf", k->options.btf_dir, id) < 0))
		return why;
	struct stat st;
	if (fd < 0 && (stat(path, &st) != 0 || !S_ISREG(st.st_mode))) {
		free(path);
		return why;
	}
	if (fd >= 0 && asprintf(&path, "kept BTF %s.btf", id) < 0)
		return why;
	struct kt_error *err = fd >= 0 ? open_btf_fd(k, fd, path, ty) : open_btf(k, path, ty);
	if (err) {
		kt_kernel_warn(k, "%s: %s", path, kt_error_string(err));
		kt_error_free(err);
		free(path);
		return why;
	}
	kt_kernel_warn(k, "%s; using the BTF kept for build %s: %s",
		       kt_error_string(why), id, path);
	kt_error_free(why);
	ty->kept_path = path;
	*check = path;
	return NULL;
}

struct kt_error *kt_types_init(struct kt_kernel *k)
{
	struct kt_types *ty = calloc(1, sizeof(*ty));
	if (!ty)
		return &kt_error_out_of_memory;
	struct kt_error *err;
	const char *check = k->options.btf;
	if (k->options.btf)
		err = open_btf(k, k->options.btf, ty);
	else if (k->options.vmlinux)
		err = open_vmlinux(k, ty);
	else if ((err = open_btf(k, NULL, ty)))
		err = open_kept_btf(k, ty, err, &check);
	if (err) {
		free(ty);
		return err;
	}
	k->types = ty;
	if (check && (err = kt_types_match_vmcoreinfo(k, check))) {
		kt_types_destroy(k);
		return err;
	}
	return NULL;
}

struct kt_error *kt_types_init_btf(struct kt_kernel *k, const void *data,
				   size_t size)
{
	struct kt_types *ty = calloc(1, sizeof(*ty));
	if (!ty)
		return &kt_error_out_of_memory;
	struct btf *btf;
	struct kt_error *err = kt_btf_from_buffer(data, size, &btf);
	if (!err)
		err = btf_backend(btf, &ty->backend);
	if (err) {
		free(ty);
		return err;
	}
	ty->ops = &btf_ops;
	ty->source = "buffer";
	k->types = ty;
	return NULL;
}

void kt_types_destroy(struct kt_kernel *k)
{
	if (!k->types)
		return;
	if (k->types->dump_btf)
		btf_destroy(k->types->dump_btf);
	k->types->ops->destroy(k->types->backend);
	free(k->types->kept_path);
	free(k->types);
	k->types = NULL;
}

/*
 * A --btf file must describe the dump's kernel: where the dump has its own
 * BTF, the types ktriage reads most must have the same sizes in both.
 */
struct kt_error *kt_kernel_check_btf(struct kt_kernel *k)
{
	static const char *const types[] = { "task_struct", "mm_struct", "rq", "file",
					     "kmem_cache", "page", "mutex" };
	const char *path = k->options.btf;
	struct btf *own = NULL, *given = NULL;
	if (!path)
		return NULL;
	struct kt_error *err = kt_btf_from_dump(k, &own);
	if (err) {
		kt_error_free(err); /* the dump has none: nothing to compare with */
		return NULL;
	}
	err = kt_btf_from_file(path, &given);
	for (size_t i = 0; !err && i < sizeof(types) / sizeof(types[0]); i++) {
		__s32 a = btf__find_by_name_kind(own, types[i], BTF_KIND_STRUCT);
		__s32 b = btf__find_by_name_kind(given, types[i], BTF_KIND_STRUCT);
		if (a > 0 && b > 0 && btf__resolve_size(own, (__u32)a) != btf__resolve_size(given, (__u32)b))
			err = kt_error_create(KT_ERR_INVALID,
					      "%s: struct %s is %lld bytes, the dump's kernel's %lld: "
					      "BTF of another kernel", path, types[i],
					      (long long)btf__resolve_size(given, (__u32)b),
					      (long long)btf__resolve_size(own, (__u32)a));
	}
	btf__free(own);
	btf__free(given);
	return err;
}

/*
 * Whole types (value.c) are walked in BTF whatever answers kt_type_*: with
 * a vmlinux's DWARF, the dump's own BTF is opened beside it, once.
 */
static struct kt_error *btf_backend_of(struct kt_kernel *k,
				       struct kt_types_backend **out)
{
	struct kt_error *err = kt_kernel_need_types(k);
	if (err)
		return err;
	if (k->types->ops == &btf_ops) {
		*out = k->types->backend;
		return NULL;
	}
	if (!k->types->dump_btf) {
		struct btf *btf;
		err = kt_btf_from_dump(k, &btf);
		if (!err)
			err = btf_backend(btf, &k->types->dump_btf);
		if (err)
			return err;
	}
	*out = k->types->dump_btf;
	return NULL;
}

struct kt_error *kt_types_btf(struct kt_kernel *k, const char *name,
			      const struct btf **btf, uint32_t *id)
{
	struct kt_types_backend *b;
	struct kt_error *err = btf_backend_of(k, &b);
	if (err)
		return err;
	*btf = b->btf;
	*id = name ? find_type(b, name) : 0;
	if (name && !*id)
		return kt_error_create(KT_ERR_NOT_FOUND, "type %s not found", name);
	return NULL;
}

const char *kt_types_backend_name(struct kt_kernel *k)
{
	struct kt_error *err = kt_kernel_need_types(k);
	bool have = !err && k->types;
	kt_error_free(err);
	return have ? k->types->ops->name : NULL;
}

struct kt_error *kt_type_sizeof(struct kt_kernel *k, const char *type,
				uint64_t *size)
{
	struct kt_error *why = kt_kernel_need_types(k);
	if (why)
		return why;
	return k->types->ops->size_of(k->types->backend, type, size);
}

struct kt_error *kt_type_member(struct kt_kernel *k, const char *type,
				const char *member, struct kt_member *out)
{
	struct kt_error *why = kt_kernel_need_types(k);
	if (why)
		return why;
	return k->types->ops->member(k->types->backend, type, member, out);
}

struct kt_error *kt_type_offsetof(struct kt_kernel *k, const char *type,
				  const char *member, uint64_t *offset)
{
	struct kt_member m;
	struct kt_error *err = kt_type_member(k, type, member, &m);
	if (err)
		return err;
	*offset = m.bit_offset / 8;
	return NULL;
}

bool kt_type_has_member(struct kt_kernel *k, const char *type,
			const char *member)
{
	struct kt_member m;
	struct kt_error *err = kt_type_member(k, type, member, &m);
	kt_error_free(err);
	return !err;
}

struct kt_error *kt_type_enum_value(struct kt_kernel *k, const char *enum_name,
				    const char *enumerator, int64_t *value)
{
	struct kt_error *why = kt_kernel_need_types(k);
	if (why)
		return why;
	return k->types->ops->enum_value(k->types->backend, enum_name,
					 enumerator, value);
}
