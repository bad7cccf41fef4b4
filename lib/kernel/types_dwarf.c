// SPDX-License-Identifier: MIT
/*
 * Types from a debug vmlinux's DWARF, read with libdw: the same answers as
 * the BTF back-end (types.c) to sizeof, members (nested, anonymous,
 * bitfields) and enumerators.
 *
 * A vmlinux has thousands of compile units, each repeating the types of the
 * headers it includes, and reading all of them takes seconds.  So names are
 * indexed lazily: a lookup that misses reads further units until the name
 * turns up (the common types are in the first few units); only a name that
 * does not exist at all costs a full pass, once.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "types.h"

#define MAX_DEPTH 32

enum name_kind {
	NAME_STRUCT,
	NAME_UNION,
	NAME_ENUM,
	NAME_PLAIN,      /* typedefs and base types: "u64", "long int" */
	NAME_ENUMERATOR, /* the entry is the enumerator's enum */
};

/* One indexed name: the first complete definition met of it. */
struct name_entry {
	const char *name; /* in the DWARF string data; NULL: empty slot */
	Dwarf_Off offset; /* of the DIE */
	uint8_t kind;
};

/* Type DIE offsets handed out as the 32-bit kt_member.type_id. */
struct id_entry {
	Dwarf_Off offset; /* 0: empty slot (no type DIE sits at offset 0) */
	uint32_t id;
};

struct kt_types_backend {
	int fd;
	Elf *elf;
	Dwarf *dw;
	Dwarf_CU *cu;      /* the last unit indexed; NULL before the first */
	bool indexed_all;

	struct name_entry *names;
	size_t names_size, names_count; /* size: a power of two */

	struct id_entry *ids;
	size_t ids_size, ids_count;
};

/* ---- The name index ----------------------------------------------------- */

static uint64_t name_hash(uint8_t kind, const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ kind;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 1099511628211ull;
	return h;
}

static struct name_entry *name_slot(struct kt_types_backend *b, uint8_t kind,
				    const char *name, size_t len)
{
	size_t mask = b->names_size - 1;
	size_t i = name_hash(kind, name, len) & mask;
	while (b->names[i].name) {
		struct name_entry *e = &b->names[i];
		if (e->kind == kind && strncmp(e->name, name, len) == 0 &&
		    e->name[len] == '\0')
			return e;
		i = (i + 1) & mask;
	}
	return &b->names[i];
}

static struct kt_error *names_grow(struct kt_types_backend *b)
{
	size_t size = b->names_size ? b->names_size * 2 : 1u << 14;
	struct name_entry *old = b->names;
	size_t old_size = b->names_size;
	b->names = calloc(size, sizeof(*b->names));
	if (!b->names) {
		b->names = old;
		return &kt_error_out_of_memory;
	}
	b->names_size = size;
	for (size_t i = 0; i < old_size; i++)
		if (old[i].name)
			*name_slot(b, old[i].kind, old[i].name,
				   strlen(old[i].name)) = old[i];
	free(old);
	return NULL;
}

/* Keep the first definition of a name; later units repeat it. */
static struct kt_error *name_add(struct kt_types_backend *b, uint8_t kind,
				 const char *name, Dwarf_Off offset)
{
	if ((b->names_count + 1) * 2 > b->names_size) {
		struct kt_error *err = names_grow(b);
		if (err)
			return err;
	}
	struct name_entry *e = name_slot(b, kind, name, strlen(name));
	if (!e->name) {
		*e = (struct name_entry){ .name = name, .offset = offset, .kind = kind };
		b->names_count++;
	}
	return NULL;
}

static struct kt_error *index_enumerators(struct kt_types_backend *b,
					  Dwarf_Die *enum_die)
{
	Dwarf_Die e;
	if (dwarf_child(enum_die, &e) != 0)
		return NULL;
	Dwarf_Off offset = dwarf_dieoffset(enum_die);
	do {
		const char *name = dwarf_diename(&e);
		if (dwarf_tag(&e) == DW_TAG_enumerator && name) {
			struct kt_error *err = name_add(b, NAME_ENUMERATOR, name, offset);
			if (err)
				return err;
		}
	} while (dwarf_siblingof(&e, &e) == 0);
	return NULL;
}

static int kind_of_tag(int tag)
{
	switch (tag) {
	case DW_TAG_structure_type:
		return NAME_STRUCT;
	case DW_TAG_union_type:
		return NAME_UNION;
	case DW_TAG_enumeration_type:
		return NAME_ENUM;
	case DW_TAG_typedef:
	case DW_TAG_base_type:
		return NAME_PLAIN;
	default:
		return -1;
	}
}

/* The named types and enumerators declared at a unit's top level. */
static struct kt_error *index_unit(struct kt_types_backend *b, Dwarf_Die *unit)
{
	Dwarf_Die die;
	if (dwarf_child(unit, &die) != 0)
		return NULL;
	do {
		int tag = dwarf_tag(&die);
		int kind = kind_of_tag(tag);
		if (kind < 0 || dwarf_hasattr(&die, DW_AT_declaration))
			continue;
		struct kt_error *err = NULL;
		if (tag == DW_TAG_enumeration_type)
			err = index_enumerators(b, &die); /* named or not */
		const char *name = dwarf_diename(&die);
		if (!err && name && *name)
			err = name_add(b, (uint8_t)kind, name, dwarf_dieoffset(&die));
		if (err)
			return err;
	} while (dwarf_siblingof(&die, &die) == 0);
	return NULL;
}

/* Index one more unit; *more is false once every unit is indexed. */
static struct kt_error *index_next_unit(struct kt_types_backend *b, bool *more)
{
	Dwarf_CU *next;
	Dwarf_Die unit;
	uint8_t unit_type;
	*more = false;
	if (b->indexed_all)
		return NULL;
	if (dwarf_get_units(b->dw, b->cu, &next, NULL, &unit_type, &unit,
			    NULL) != 0) {
		b->indexed_all = true;
		return NULL;
	}
	b->cu = next;
	*more = true;
	return index_unit(b, &unit);
}

static struct kt_error *find_name(struct kt_types_backend *b, uint8_t kind,
				  const char *name, Dwarf_Die *die, bool *found)
{
	*found = false;
	size_t len = strlen(name);
	for (;;) {
		if (b->names_size) {
			struct name_entry *e = name_slot(b, kind, name, len);
			if (e->name) {
				*found = dwarf_offdie(b->dw, e->offset, die) != NULL;
				return NULL;
			}
		}
		bool more;
		struct kt_error *err = index_next_unit(b, &more);
		if (err || !more)
			return err;
	}
}

/* "struct task_struct" -> (NAME_STRUCT, "task_struct"); "u64" is plain. */
static const char *split_type_name(const char *type, uint8_t *kind)
{
	static const struct {
		const char *prefix;
		uint8_t kind;
	} prefixes[] = {
		{ "struct ", NAME_STRUCT },
		{ "union ", NAME_UNION },
		{ "enum ", NAME_ENUM },
	};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i].prefix);
		if (strncmp(type, prefixes[i].prefix, n) == 0) {
			*kind = prefixes[i].kind;
			return type + n;
		}
	}
	*kind = NAME_PLAIN;
	return type;
}

static struct kt_error *lookup_type(struct kt_types_backend *b,
				    const char *type, Dwarf_Die *die)
{
	uint8_t kind;
	const char *name = split_type_name(type, &kind);
	bool found;
	struct kt_error *err = find_name(b, kind, name, die, &found);
	if (!err && !found)
		err = kt_error_create(KT_ERR_NOT_FOUND, "type %s not found", type);
	return err;
}

/* ---- Shapes, sizes and members ----------------------------------------- */

/*
 * Through typedefs and qualifiers to the type with a shape; a struct only
 * declared in this unit is replaced by its definition from the index.
 */
static bool shape_of(struct kt_types_backend *b, Dwarf_Die *type,
		     Dwarf_Die *shape)
{
	if (dwarf_peel_type(type, shape) != 0)
		return false;
	if (!dwarf_hasattr(shape, DW_AT_declaration))
		return true;
	int kind = kind_of_tag(dwarf_tag(shape));
	const char *name = dwarf_diename(shape);
	bool found = false;
	if (kind >= 0 && name) {
		struct kt_error *err = find_name(b, (uint8_t)kind, name, shape, &found);
		kt_error_free(err);
	}
	return found;
}

static bool type_size(struct kt_types_backend *b, Dwarf_Die *type,
		      uint64_t *size)
{
	Dwarf_Die shape;
	Dwarf_Word n;
	if (!shape_of(b, type, &shape) || dwarf_aggregate_size(&shape, &n) != 0)
		return false;
	*size = n;
	return true;
}

static bool attr_udata(Dwarf_Die *die, unsigned name, Dwarf_Word *value)
{
	Dwarf_Attribute attr;
	return dwarf_attr(die, name, &attr) && dwarf_formudata(&attr, value) == 0;
}

/* A member's byte offset: a constant, or DWARF 2's DW_OP_plus_uconst. */
static bool member_byte_offset(Dwarf_Die *member, Dwarf_Word *offset)
{
	Dwarf_Attribute attr;
	*offset = 0; /* union members have none */
	if (!dwarf_attr(member, DW_AT_data_member_location, &attr))
		return true;
	if (dwarf_formudata(&attr, offset) == 0)
		return true;
	Dwarf_Op *ops;
	size_t n;
	if (dwarf_getlocation(&attr, &ops, &n) == 0 && n == 1 &&
	    (ops[0].atom == DW_OP_plus_uconst || ops[0].atom == DW_OP_constu)) {
		*offset = ops[0].number;
		return true;
	}
	return false;
}

/*
 * A member's bit offset from the start of its struct, little-endian, as BTF
 * counts it.  DWARF 4+ says it directly (DW_AT_data_bit_offset); DWARF 2/3
 * bitfields count DW_AT_bit_offset from the storage unit's top bit.
 */
static bool member_bits(struct kt_types_backend *b, Dwarf_Die *member,
			Dwarf_Die *type, uint64_t *bits, uint32_t *bit_size)
{
	Dwarf_Word v;
	*bit_size = attr_udata(member, DW_AT_bit_size, &v) ? (uint32_t)v : 0;
	if (attr_udata(member, DW_AT_data_bit_offset, &v)) {
		*bits = v;
		return true;
	}
	Dwarf_Word bytes;
	if (!member_byte_offset(member, &bytes))
		return false;
	*bits = bytes * 8;
	if (*bit_size && attr_udata(member, DW_AT_bit_offset, &v)) {
		uint64_t storage;
		Dwarf_Word explicit_size;
		if (attr_udata(member, DW_AT_byte_size, &explicit_size))
			storage = explicit_size;
		else if (!type_size(b, type, &storage))
			return false;
		*bits += storage * 8 - v - *bit_size;
	}
	return true;
}

static bool member_type(Dwarf_Die *member, Dwarf_Die *type)
{
	Dwarf_Attribute attr;
	return dwarf_attr_integrate(member, DW_AT_type, &attr) &&
	       dwarf_formref_die(&attr, type) != NULL;
}

/*
 * Find name among the members of a struct/union, looking inside anonymous
 * members as C does.  Adds the member's bit offset to *bits.
 */
static bool find_member(struct kt_types_backend *b, Dwarf_Die *outer,
			const char *name, size_t name_len, uint64_t *bits,
			uint32_t *bit_size, Dwarf_Die *type, int depth)
{
	Dwarf_Die shape, m;
	if (depth > MAX_DEPTH || !shape_of(b, outer, &shape))
		return false;
	int tag = dwarf_tag(&shape);
	if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type)
		return false;
	if (dwarf_child(&shape, &m) != 0)
		return false;
	do {
		Dwarf_Die mtype;
		uint64_t off;
		uint32_t size;
		if (dwarf_tag(&m) != DW_TAG_member || !member_type(&m, &mtype) ||
		    !member_bits(b, &m, &mtype, &off, &size))
			continue;
		const char *mname = dwarf_diename(&m);
		if (!mname) {
			uint64_t inner = *bits + off;
			if (find_member(b, &mtype, name, name_len, &inner, bit_size,
					type, depth + 1)) {
				*bits = inner;
				return true;
			}
			continue;
		}
		if (strlen(mname) == name_len && memcmp(mname, name, name_len) == 0) {
			*bits += off;
			*bit_size = size;
			*type = mtype;
			return true;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

/* ---- Type ids ---------------------------------------------------------- */

static struct id_entry *id_slot(struct kt_types_backend *b, Dwarf_Off offset)
{
	size_t mask = b->ids_size - 1;
	size_t i = (size_t)(offset * 0x9e3779b97f4a7c15ull >> 17) & mask;
	while (b->ids[i].offset && b->ids[i].offset != offset)
		i = (i + 1) & mask;
	return &b->ids[i];
}

/* A small number for a DIE, stable for the backend's life; 0 if none. */
static uint32_t type_id(struct kt_types_backend *b, Dwarf_Off offset)
{
	if (!offset)
		return 0;
	if ((b->ids_count + 1) * 2 > b->ids_size) {
		size_t size = b->ids_size ? b->ids_size * 2 : 256;
		struct id_entry *old = b->ids;
		size_t old_size = b->ids_size;
		b->ids = calloc(size, sizeof(*b->ids));
		if (!b->ids) {
			b->ids = old;
			return 0;
		}
		b->ids_size = size;
		for (size_t i = 0; i < old_size; i++)
			if (old[i].offset)
				*id_slot(b, old[i].offset) = old[i];
		free(old);
	}
	struct id_entry *e = id_slot(b, offset);
	if (!e->offset) {
		*e = (struct id_entry){ .offset = offset,
					.id = (uint32_t)++b->ids_count };
	}
	return e->id;
}

/* ---- The back-end's operations ----------------------------------------- */

static struct kt_error *dwarf_size_of(struct kt_types_backend *b,
				      const char *type, uint64_t *size)
{
	Dwarf_Die die;
	struct kt_error *err = lookup_type(b, type, &die);
	if (err)
		return err;
	if (!type_size(b, &die, size))
		return kt_error_create(KT_ERR_INVALID, "type %s has no size", type);
	return NULL;
}

static struct kt_error *dwarf_member(struct kt_types_backend *b,
				     const char *type, const char *member,
				     struct kt_member *out)
{
	Dwarf_Die die;
	struct kt_error *err = lookup_type(b, type, &die);
	if (err)
		return err;
	uint64_t bits = 0;
	uint32_t bit_size = 0;
	for (const char *p = member; *p;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		Dwarf_Die inner;
		if (!find_member(b, &die, p, len, &bits, &bit_size, &inner, 0))
			return kt_error_create(KT_ERR_NOT_FOUND,
					       "%s has no member %s", type, member);
		die = inner;
		p += len + (dot ? 1 : 0);
	}
	uint64_t size = 0;
	if (!type_size(b, &die, &size))
		size = 0;
	*out = (struct kt_member){
		.bit_offset = bits,
		.bit_size = bit_size,
		.size = size,
		.type_id = type_id(b, dwarf_dieoffset(&die)),
	};
	return NULL;
}

/* Is the enum's underlying integer type signed?  (Old GCC omits it.) */
static bool enum_is_signed(Dwarf_Die *enum_die)
{
	Dwarf_Die base;
	Dwarf_Word encoding;
	if (!member_type(enum_die, &base) || dwarf_peel_type(&base, &base) != 0 ||
	    !attr_udata(&base, DW_AT_encoding, &encoding))
		return false;
	return encoding == DW_ATE_signed || encoding == DW_ATE_signed_char;
}

/*
 * GCC writes a non-negative enumerator in the smallest DW_FORM_dataN that
 * holds it (201 in an int enum is data1 0xc9) and a negative one as sdata;
 * a dataN as wide as the enum is negative if the enum is signed.
 */
static bool enumerator_value(Dwarf_Die *e, unsigned enum_bits, bool is_signed,
			     int64_t *value)
{
	Dwarf_Attribute attr;
	if (!dwarf_attr(e, DW_AT_const_value, &attr))
		return false;
	unsigned form = dwarf_whatform(&attr);
	if (form == DW_FORM_sdata || form == DW_FORM_implicit_const) {
		Dwarf_Sword s;
		if (dwarf_formsdata(&attr, &s) != 0)
			return false;
		*value = s;
		return true;
	}
	Dwarf_Word u;
	if (dwarf_formudata(&attr, &u) != 0)
		return false;
	unsigned width = form == DW_FORM_data1 ? 8 : form == DW_FORM_data2 ? 16
		       : form == DW_FORM_data4 ? 32 : 64;
	if (width < 64)
		u &= (1ull << width) - 1;
	if (is_signed && enum_bits && enum_bits < 64 && width >= enum_bits &&
	    (u >> (enum_bits - 1)) & 1)
		u |= ~0ull << enum_bits;
	*value = (int64_t)u;
	return true;
}

static bool enum_lookup(Dwarf_Die *enum_die, const char *name, int64_t *value)
{
	Dwarf_Die e;
	if (dwarf_tag(enum_die) != DW_TAG_enumeration_type ||
	    dwarf_child(enum_die, &e) != 0)
		return false;
	bool is_signed = enum_is_signed(enum_die);
	Dwarf_Word bytes;
	unsigned bits = attr_udata(enum_die, DW_AT_byte_size, &bytes) && bytes <= 8
				? (unsigned)bytes * 8 : 0;
	do {
		const char *n = dwarf_diename(&e);
		if (dwarf_tag(&e) == DW_TAG_enumerator && n && strcmp(n, name) == 0)
			return enumerator_value(&e, bits, is_signed, value);
	} while (dwarf_siblingof(&e, &e) == 0);
	return false;
}

static struct kt_error *dwarf_enum_value(struct kt_types_backend *b,
					 const char *enum_name,
					 const char *enumerator, int64_t *value)
{
	Dwarf_Die die;
	struct kt_error *err;
	if (enum_name) {
		err = lookup_type(b, enum_name, &die);
		if (err)
			return err;
		Dwarf_Die shape;
		if (shape_of(b, &die, &shape) && enum_lookup(&shape, enumerator, value))
			return NULL;
	} else {
		bool found;
		err = find_name(b, NAME_ENUMERATOR, enumerator, &die, &found);
		if (err)
			return err;
		if (found && enum_lookup(&die, enumerator, value))
			return NULL;
	}
	return kt_error_create(KT_ERR_NOT_FOUND, "enumerator %s not found",
			       enumerator);
}

static void dwarf_destroy(struct kt_types_backend *b)
{
	if (b->dw)
		dwarf_end(b->dw);
	if (b->elf)
		elf_end(b->elf);
	if (b->fd >= 0)
		close(b->fd);
	free(b->names);
	free(b->ids);
	free(b);
}

static const struct kt_types_ops dwarf_ops = {
	.name = "DWARF",
	.size_of = dwarf_size_of,
	.member = dwarf_member,
	.enum_value = dwarf_enum_value,
	.destroy = dwarf_destroy,
};

/* ---- Opening ----------------------------------------------------------- */

static bool has_section(Elf *elf, const char *wanted)
{
	size_t strndx;
	if (elf_getshdrstrndx(elf, &strndx) != 0)
		return false;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		const char *name;
		if (gelf_getshdr(scn, &shdr) && shdr.sh_type != SHT_NOBITS &&
		    (name = elf_strptr(elf, strndx, shdr.sh_name)) &&
		    strcmp(name, wanted) == 0)
			return true;
	}
	return false;
}

struct kt_error *kt_dwarf_types_open(struct kt_kernel *k, const char *path,
				     const struct kt_types_ops **ops,
				     struct kt_types_backend **out)
{
	struct kt_types_backend *b = calloc(1, sizeof(*b));
	if (!b)
		return &kt_error_out_of_memory;
	struct kt_error *err = NULL;
	b->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (b->fd < 0) {
		err = kt_error_create(KT_ERR_IO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	elf_version(EV_CURRENT);
	b->elf = elf_begin(b->fd, ELF_C_READ_MMAP, NULL);
	if (!b->elf || elf_kind(b->elf) != ELF_K_ELF) {
		err = kt_error_create(KT_ERR_FORMAT, "%s: not an ELF file", path);
		goto fail;
	}
	if (!has_section(b->elf, ".debug_info")) {
		err = kt_error_create(KT_ERR_NOT_FOUND, "%s: no DWARF (.debug_info)",
				      path);
		goto fail;
	}
	b->dw = dwarf_begin_elf(b->elf, DWARF_C_READ, NULL);
	if (!b->dw) {
		err = kt_error_create(KT_ERR_FORMAT, "%s: DWARF: %s", path,
				      dwarf_errmsg(-1));
		goto fail;
	}
	err = kt_vmlinux_check_build_id(k, path, b->elf);
	if (err)
		goto fail;
	*ops = &dwarf_ops;
	*out = b;
	return NULL;
fail:
	dwarf_destroy(b);
	return err;
}
