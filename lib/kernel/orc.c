// SPDX-License-Identifier: MIT
/*
 * ORC unwind tables (arch/x86/include/asm/orc_types.h), read from the dump:
 * the kernel's __start_orc_unwind_ip / __start_orc_unwind, and each
 * module's mod->arch.orc_unwind_ip / orc_unwind / num_orcs.  An ip table
 * entry is an int32 relative to its own address; the tables are sorted, so
 * the entry for an address is found by binary search, reading entries
 * through the page cache instead of copying megabytes of tables.
 *
 * The layout of struct orc_entry comes from BTF.  Its `type` field grew
 * from 2 to 3 bits in 6.4, when the numbering changed (UNDEFINED and
 * END_OF_STACK became types instead of the `end` flag); the width tells
 * which numbering the kernel uses.
 */
#include <stdlib.h>
#include <string.h>

#include "layouts.h"

#define MAX_ORC_ENTRIES (1u << 24)

struct orc_table {
	uint64_t ip;    /* int32 relative ip entries */
	uint64_t orc;   /* struct orc_entry entries */
	uint64_t count;
};

struct bitfield {
	uint32_t bit_offset, bit_size;
};

struct kt_orc {
	struct orc_table kernel;
	uint64_t entry_size;
	struct bitfield sp_offset, bp_offset, sp_reg, bp_reg, type, end;
	bool new_types; /* 6.4+: type is 3 bits, END_OF_STACK is a type */
	bool has_end;
	struct kt_error *init_error; /* why ORC is unusable, kept for messages */
};

static struct kt_error *field(struct kt_kernel *k, const char *name,
			      struct bitfield *f)
{
	struct kt_member m;
	struct kt_error *err = kt_type_member(k, "struct orc_entry", name, &m);
	if (err)
		return err;
	f->bit_offset = (uint32_t)m.bit_offset;
	f->bit_size = m.bit_size ? m.bit_size : (uint32_t)(m.size * 8);
	return NULL;
}

static struct kt_error *load_layout(struct kt_kernel *k, struct kt_orc *orc)
{
	struct kt_error *err = kt_type_sizeof(k, "struct orc_entry", &orc->entry_size);
	if (!err)
		err = field(k, "sp_offset", &orc->sp_offset);
	if (!err)
		err = field(k, "bp_offset", &orc->bp_offset);
	if (!err)
		err = field(k, "sp_reg", &orc->sp_reg);
	if (!err)
		err = field(k, "bp_reg", &orc->bp_reg);
	if (!err)
		err = field(k, "type", &orc->type);
	if (err)
		return err;
	if (orc->entry_size > 16)
		return kt_error_create(KT_ERR_UNSUPPORTED,
				       "struct orc_entry of %llu bytes",
				       (unsigned long long)orc->entry_size);
	orc->new_types = orc->type.bit_size >= 3;
	/* 6.4+ has no end bit (END_OF_STACK is a type): no end is no error. */
	struct kt_error *no_end = field(k, "end", &orc->end);
	orc->has_end = !no_end;
	kt_error_free(no_end);
	return NULL;
}

static struct kt_error *load_kernel_table(struct kt_kernel *k, struct kt_orc *orc)
{
	uint64_t ip_start, ip_stop, orc_start;
	struct kt_error *err = kt_symbol_address(k, "__start_orc_unwind_ip", &ip_start);
	if (!err)
		err = kt_symbol_address(k, "__stop_orc_unwind_ip", &ip_stop);
	if (!err)
		err = kt_symbol_address(k, "__start_orc_unwind", &orc_start);
	if (err)
		return kt_error_wrap(err, "ORC tables (CONFIG_UNWINDER_ORC?)");
	if (ip_stop <= ip_start || (ip_stop - ip_start) / 4 > MAX_ORC_ENTRIES)
		return kt_error_create(KT_ERR_INVALID, "ORC ip table 0x%llx..0x%llx is implausible",
				       (unsigned long long)ip_start, (unsigned long long)ip_stop);
	orc->kernel = (struct orc_table){ ip_start, orc_start, (ip_stop - ip_start) / 4 };
	return NULL;
}

/*
 * Without types (no BTF): struct orc_entry has been 6 bytes since ORC
 * came (4.14): s16 sp_offset, s16 bp_offset, 4-bit sp_reg and bp_reg,
 * then a 2-bit type and the end bit, or (6.4+) a 3-bit type.  Which one,
 * the table itself says: most entries are CALL, 0 in the old numbering
 * and 2 in the new, where 0 means UNDEFINED.
 */
#define GUESS_SAMPLES 512u

static bool guess_layout(struct kt_kernel *k, struct kt_orc *orc)
{
	uint64_t orc_stop;
	struct kt_error *err = kt_symbol_address(k, "__stop_orc_unwind", &orc_stop);
	bool sized = !err && orc_stop - orc->kernel.orc == orc->kernel.count * 6;
	kt_error_free(err);
	if (!sized || orc->kernel.count < GUESS_SAMPLES)
		return false;
	unsigned zero = 0, two = 0;
	for (uint64_t i = 0; i < GUESS_SAMPLES; i++) {
		uint8_t raw[6];
		uint64_t at = orc->kernel.orc + (i * (orc->kernel.count / GUESS_SAMPLES)) * 6;
		err = kt_kernel_read(k, at, raw, sizeof(raw));
		if (err) {
			kt_error_free(err);
			return false;
		}
		zero += (raw[5] & 7) == 0;
		two += (raw[5] & 7) == 2;
	}
	orc->entry_size = 6;
	orc->sp_offset = (struct bitfield){ 0, 16 };
	orc->bp_offset = (struct bitfield){ 16, 16 };
	orc->sp_reg = (struct bitfield){ 32, 4 };
	orc->bp_reg = (struct bitfield){ 36, 4 };
	orc->new_types = two > zero;
	orc->type = (struct bitfield){ 40, orc->new_types ? 3 : 2 };
	orc->end = (struct bitfield){ 42, 1 };
	orc->has_end = !orc->new_types;
	return true;
}

static struct kt_orc *orc_state(struct kt_kernel *k)
{
	if (k->orc)
		return k->orc;
	struct kt_orc *orc = calloc(1, sizeof(*orc));
	if (!orc)
		return NULL;
	orc->init_error = load_kernel_table(k, orc);
	if (!orc->init_error) {
		struct kt_error *no_types = load_layout(k, orc);
		if (no_types && guess_layout(k, orc)) {
			kt_kernel_warn(k, "struct orc_entry not in the types (%s): its fixed "
					  "layout assumed, numbering read from the table",
				       kt_error_string(no_types));
			kt_error_free(no_types);
			no_types = NULL;
		}
		orc->init_error = no_types;
	}
	k->orc = orc;
	return orc;
}

void kt_orc_destroy(struct kt_kernel *k)
{
	if (!k->orc)
		return;
	kt_error_free(k->orc->init_error);
	free(k->orc);
	k->orc = NULL;
}

static struct kt_error *read_entry_ip(struct kt_kernel *k, const struct orc_table *t,
				 uint64_t i, uint64_t *ip)
{
	int32_t rel;
	struct kt_error *err = kt_kernel_read(k, t->ip + i * 4, &rel, sizeof(rel));
	if (err)
		return err;
	*ip = t->ip + i * 4 + (uint64_t)(int64_t)rel;
	return NULL;
}

/* Index of the last entry whose ip is <= ip. */
static struct kt_error *search(struct kt_kernel *k, const struct orc_table *t,
			       uint64_t ip, uint64_t *index)
{
	uint64_t lo = 0, hi = t->count;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2, mid_ip;
		struct kt_error *err = read_entry_ip(k, t, mid, &mid_ip);
		if (err)
			return err;
		if (mid_ip <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return kt_error_create(KT_ERR_NOT_FOUND, "no ORC entry at or below 0x%llx",
				       (unsigned long long)ip);
	*index = lo - 1;
	return NULL;
}

static uint64_t bits(const uint8_t *raw, struct bitfield f)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < f.bit_size; i++) {
		uint32_t b = f.bit_offset + i;
		v |= (uint64_t)((raw[b / 8] >> (b % 8)) & 1) << i;
	}
	return v;
}

static enum kt_orc_type decode_type(const struct kt_orc *orc, unsigned type,
				    bool end)
{
	if (orc->new_types) {
		static const enum kt_orc_type map[] = {
			KT_ORC_UNDEFINED, KT_ORC_END_OF_STACK, KT_ORC_CALL,
			KT_ORC_REGS, KT_ORC_REGS_PARTIAL,
		};
		return type < 5 ? map[type] : KT_ORC_UNDEFINED;
	}
	if (end)
		return KT_ORC_END_OF_STACK;
	static const enum kt_orc_type old[] = { KT_ORC_CALL, KT_ORC_REGS,
						KT_ORC_REGS_PARTIAL };
	return type < 3 ? old[type] : KT_ORC_UNDEFINED;
}

static struct kt_error *decode(struct kt_kernel *k, const struct kt_orc *orc,
			       const struct orc_table *t, uint64_t i,
			       struct kt_orc_entry *e)
{
	uint8_t raw[16] = { 0 };
	struct kt_error *err = kt_kernel_read(k, t->orc + i * orc->entry_size, raw,
					      (size_t)orc->entry_size);
	if (err)
		return err;
	e->sp_offset = (int16_t)bits(raw, orc->sp_offset);
	e->bp_offset = (int16_t)bits(raw, orc->bp_offset);
	e->sp_reg = (enum kt_orc_reg)bits(raw, orc->sp_reg);
	e->bp_reg = (enum kt_orc_reg)bits(raw, orc->bp_reg);
	bool end = orc->has_end && bits(raw, orc->end);
	e->type = decode_type(orc, (unsigned)bits(raw, orc->type), end);
	/* Old kernels mark "no information" as an undefined sp register. */
	if (!orc->new_types && e->sp_reg == KT_ORC_REG_UNDEFINED &&
	    e->type != KT_ORC_END_OF_STACK)
		e->type = KT_ORC_UNDEFINED;
	return NULL;
}

static bool module_table(struct kt_kernel *k, uint64_t ip, struct orc_table *t)
{
	const struct kt_module *mod = kt_module_at(k, ip);
	if (!mod)
		return false;
	const struct kt_orc_module_layout *l = kt_layouts_orc_module(k);
	uint64_t count;
	struct kt_error *err = NULL;
	if (!l->ok ||
	    (err = kt_field_read(k, mod->address, l->num_orcs, &count)) ||
	    (err = kt_field_read(k, mod->address, l->orc_unwind_ip, &t->ip)) ||
	    (err = kt_field_read(k, mod->address, l->orc_unwind, &t->orc))) {
		kt_error_free(err);
		return false;
	}
	if (count == 0 || count > MAX_ORC_ENTRIES)
		return false;
	t->count = count;
	return true;
}

struct kt_error *kt_orc_find_before(struct kt_kernel *k, uint64_t ip,
				    unsigned back, struct kt_orc_entry *entry,
				    uint64_t *entry_ip)
{
	struct kt_orc *orc = orc_state(k);
	if (!orc)
		return &kt_error_out_of_memory;
	if (orc->init_error)
		return kt_error_create(orc->init_error->code, "%s",
				       orc->init_error->message);
	if (!kt_symbol_is_text(k, ip))
		return kt_error_create(KT_ERR_NOT_FOUND, "0x%llx is not kernel text",
				       (unsigned long long)ip);
	struct orc_table table = orc->kernel, mod;
	if (module_table(k, ip, &mod))
		table = mod;
	uint64_t index = 0;
	struct kt_error *err = search(k, &table, ip, &index);
	if (err)
		return err;
	if (back > index)
		return kt_error_create(KT_ERR_NOT_FOUND, "no ORC entry %u before 0x%llx",
				       back, (unsigned long long)ip);
	index -= back;
	err = read_entry_ip(k, &table, index, entry_ip);
	if (!err)
		err = decode(k, orc, &table, index, entry);
	return err;
}

struct kt_error *kt_orc_find(struct kt_kernel *k, uint64_t ip,
			     struct kt_orc_entry *entry)
{
	uint64_t at;
	return kt_orc_find_before(k, ip, 0, entry, &at);
}
