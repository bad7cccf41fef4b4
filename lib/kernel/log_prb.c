// SPDX-License-Identifier: MIT
/*
 * The lockless printk ringbuffer (5.10+, kernel/printk/printk_ringbuffer.c):
 * a ring of descriptors, each a state word (descriptor id + 2 state bits)
 * and the logical positions (lpos) of its text in a data ring, beside an
 * array of struct printk_info.  Every offset comes from VMCOREINFO and is
 * checked against its structure's size; every walk is bounded by the
 * number of slots it can visit (log.c has the whole story).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktriage/base.h"
#include "log_reader.h"

/* ---- The lockless ringbuffer (5.10+) ------------------------------- */

#define DESC_FLAGS_SHIFT 62
#define DESC_ID_MASK ((UINT64_C(1) << DESC_FLAGS_SHIFT) - 1)
#define ID_SIZE 8 /* the descriptor id heading each data block */
#define FAILED_LPOS 0x1
#define NO_LPOS 0x3

enum desc_state {
	DESC_RESERVED = 0,
	DESC_COMMITTED = 1,
	DESC_FINALIZED = 2,
	DESC_REUSABLE = 3,
};

/* Where each field lies, from VMCOREINFO; offsets into the named struct. */
struct prb_layout {
	uint64_t rb_size;
	uint64_t count_bits, descs, infos, head_id, tail_id;
	uint64_t size_bits, data;
	uint64_t desc_size, state_var, text_begin, text_next;
	uint64_t info_size, seq, ts_nsec, text_len, facility, level, caller_id;
	bool has_caller_id;
	bool has_device;
	uint64_t subsystem, subsystem_len, device, device_len;
};

/* The ring copied out of the dump. */
struct prb {
	const struct prb_layout *layout;
	uint64_t count;     /* descriptors, a power of 2 */
	uint64_t data_size; /* bytes of the text ring, a power of 2 */
	uint8_t *descs, *infos, *data;
};

static struct kt_error *prb_ring_layout(const struct kt_vmcoreinfo *vi,
					struct prb_layout *l)
{
	uint64_t desc_ring, text_ring, ring_size, data_ring_size, counter = 0;
	struct kt_error *err;
	(void)kt_vmcoreinfo_offset(vi, "atomic_long_t.counter", &counter);
	if (counter > 8)
		return kt_error_create(KT_ERR_INVALID,
				       "VMCOREINFO: OFFSET(atomic_long_t.counter)=%" PRIu64,
				       counter);
	if ((err = kt_log_struct_size(vi, "printk_ringbuffer", 4096, &l->rb_size)) ||
	    (err = kt_log_struct_size(vi, "prb_desc_ring", 4096, &ring_size)) ||
	    (err = kt_log_struct_size(vi, "prb_data_ring", 4096, &data_ring_size)) ||
	    (err = kt_log_member(vi, "printk_ringbuffer.desc_ring", 0, ring_size,
			  l->rb_size, &desc_ring)) ||
	    (err = kt_log_member(vi, "printk_ringbuffer.text_data_ring", 0,
			  data_ring_size, l->rb_size, &text_ring)) ||
	    (err = kt_log_member(vi, "prb_desc_ring.count_bits", desc_ring, 4,
			  desc_ring + ring_size, &l->count_bits)) ||
	    (err = kt_log_member(vi, "prb_desc_ring.descs", desc_ring, 8,
			  desc_ring + ring_size, &l->descs)) ||
	    (err = kt_log_member(vi, "prb_desc_ring.infos", desc_ring, 8,
			  desc_ring + ring_size, &l->infos)) ||
	    (err = kt_log_member(vi, "prb_desc_ring.head_id", desc_ring + counter, 8,
			  desc_ring + ring_size, &l->head_id)) ||
	    (err = kt_log_member(vi, "prb_desc_ring.tail_id", desc_ring + counter, 8,
			  desc_ring + ring_size, &l->tail_id)) ||
	    (err = kt_log_member(vi, "prb_data_ring.size_bits", text_ring, 4,
			  text_ring + data_ring_size, &l->size_bits)) ||
	    (err = kt_log_member(vi, "prb_data_ring.data", text_ring, 8,
			  text_ring + data_ring_size, &l->data)))
		return err;
	return NULL;
}

static struct kt_error *prb_desc_layout(const struct kt_vmcoreinfo *vi,
					struct prb_layout *l)
{
	uint64_t counter = 0, lpos, lpos_size;
	struct kt_error *err;
	(void)kt_vmcoreinfo_offset(vi, "atomic_long_t.counter", &counter);
	if ((err = kt_log_struct_size(vi, "prb_desc", 4096, &l->desc_size)) ||
	    (err = kt_log_struct_size(vi, "prb_data_blk_lpos", 4096, &lpos_size)) ||
	    (err = kt_log_member(vi, "prb_desc.state_var", counter, 8, l->desc_size,
			  &l->state_var)) ||
	    (err = kt_log_member(vi, "prb_desc.text_blk_lpos", 0, lpos_size,
			  l->desc_size, &lpos)) ||
	    (err = kt_log_member(vi, "prb_data_blk_lpos.begin", lpos, 8,
			  lpos + lpos_size, &l->text_begin)) ||
	    (err = kt_log_member(vi, "prb_data_blk_lpos.next", lpos, 8,
			  lpos + lpos_size, &l->text_next)))
		return err;
	return NULL;
}

/* The device a record came from (dev_printk_info), when VMCOREINFO says. */
static void prb_device_layout(const struct kt_vmcoreinfo *vi,
			      struct prb_layout *l)
{
	uint64_t dev_info, dev_size, subsystem, device;
	l->has_device =
		kt_vmcoreinfo_offset(vi, "printk_info.dev_info", &dev_info) &&
		kt_vmcoreinfo_size(vi, "dev_printk_info", &dev_size) &&
		kt_log_fits(dev_info, dev_size, l->info_size) &&
		kt_vmcoreinfo_offset(vi, "dev_printk_info.subsystem", &subsystem) &&
		kt_vmcoreinfo_offset(vi, "dev_printk_info.device", &device) &&
		kt_vmcoreinfo_length(vi, "printk_info_subsystem", &l->subsystem_len) &&
		kt_vmcoreinfo_length(vi, "printk_info_device", &l->device_len) &&
		kt_log_fits(subsystem, l->subsystem_len, dev_size) &&
		kt_log_fits(device, l->device_len, dev_size);
	if (l->has_device) {
		l->subsystem = dev_info + subsystem;
		l->device = dev_info + device;
	}
}

static struct kt_error *prb_info_layout(const struct kt_vmcoreinfo *vi,
					struct prb_layout *l)
{
	struct kt_error *err;
	if ((err = kt_log_struct_size(vi, "printk_info", 4096, &l->info_size)) ||
	    (err = kt_log_member(vi, "printk_info.seq", 0, 8, l->info_size, &l->seq)) ||
	    (err = kt_log_member(vi, "printk_info.ts_nsec", 0, 8, l->info_size,
			  &l->ts_nsec)) ||
	    (err = kt_log_member(vi, "printk_info.text_len", 0, 2, l->info_size,
			  &l->text_len)))
		return err;
	/*
	 * VMCOREINFO does not describe the facility and the level:flags
	 * bitfield; since 5.10 they are the two bytes after text_len, level
	 * in the top 3 bits (flags:5 then level:3, little-endian).
	 */
	l->facility = l->text_len + 2;
	l->level = l->text_len + 3;
	if (!kt_log_fits(l->text_len, 4, l->info_size))
		return kt_error_create(KT_ERR_INVALID,
				       "VMCOREINFO: printk_info.text_len at %" PRIu64
				       " leaves no room for the level in %" PRIu64 " bytes",
				       l->text_len, l->info_size);
	struct kt_error *no_caller_id = kt_log_member(vi, "printk_info.caller_id", 0, 4,
					       l->info_size, &l->caller_id);
	l->has_caller_id = !no_caller_id;
	kt_error_free(no_caller_id);
	prb_device_layout(vi, l);
	return NULL;
}

static struct kt_error *prb_layout(const struct kt_vmcoreinfo *vi,
				   struct prb_layout *l)
{
	struct kt_error *err;
	memset(l, 0, sizeof(*l));
	if ((err = prb_ring_layout(vi, l)) || (err = prb_desc_layout(vi, l)) ||
	    (err = prb_info_layout(vi, l)))
		return err;
	return NULL;
}

static const uint8_t *prb_desc(const struct prb *r, uint64_t id)
{
	return r->descs + (id & (r->count - 1)) * r->layout->desc_size;
}

static const uint8_t *prb_info(const struct prb *r, uint64_t id)
{
	return r->infos + (id & (r->count - 1)) * r->layout->info_size;
}

/* Committed or finalized, and really holding id (not a stale or newer one). */
static bool prb_readable(const struct prb *r, uint64_t id)
{
	uint64_t state_var = kt_le64(prb_desc(r, id) + r->layout->state_var);
	enum desc_state state = (enum desc_state)(state_var >> DESC_FLAGS_SHIFT);
	return (state_var & DESC_ID_MASK) == id &&
	       (state == DESC_COMMITTED || state == DESC_FINALIZED);
}

/* seq - id, which every record written since boot shares. */
static uint64_t prb_seq_delta(const struct prb *r, uint64_t id)
{
	return (kt_le64(prb_info(r, id) + r->layout->seq) - id) & DESC_ID_MASK;
}

/*
 * Each reservation takes the next id and the next seq, so seq - id (mod
 * the id space) is the same for every record; a descriptor that disagrees
 * holds a torn or damaged info.  The majority vote finds the common value
 * even when the oldest or newest record is the damaged one.
 */
static uint64_t prb_common_seq_delta(const struct prb *r, uint64_t tail,
				     uint64_t span)
{
	uint64_t candidate = 0, votes = 0;
	for (uint64_t i = 0; i <= span; i++) {
		uint64_t id = (tail + i) & DESC_ID_MASK;
		if (!prb_readable(r, id))
			continue;
		uint64_t delta = prb_seq_delta(r, id);
		if (votes == 0)
			candidate = delta;
		if (delta == candidate)
			votes++;
		else
			votes--;
	}
	return candidate;
}

/*
 * Where a descriptor's text lies in the data ring, decided as the kernel's
 * get_data() does.  Returns 1 with the block (id word included) at *offset
 * and *size bytes long, 0 for a data-less record with no text, -1 when
 * there is no usable text.
 */
static int prb_text_block(struct kt_log *log, const struct prb *r,
			  uint64_t id, uint64_t *offset, uint64_t *size)
{
	const uint8_t *desc = prb_desc(r, id);
	uint64_t begin = kt_le64(desc + r->layout->text_begin);
	uint64_t next = kt_le64(desc + r->layout->text_next);
	uint64_t bits = __builtin_ctzll(r->data_size), mask = r->data_size - 1;

	if ((begin & 1) && (next & 1)) {
		if (begin == NO_LPOS && next == NO_LPOS)
			return 0;
		kt_log_problem(log, "descriptor %" PRIu64 ": its text was never stored "
			    "(lpos 0x%" PRIx64 "..0x%" PRIx64 ")", id, begin, next);
		return -1;
	}
	if (begin % ID_SIZE || next % ID_SIZE)
		goto invalid;
	if (begin >> bits == next >> bits && begin < next) {
		*offset = begin & mask; /* a regular block */
		*size = next - begin;
	} else if ((next & mask) == 0 && begin != next &&
		   (next - 1) >> bits == begin >> bits) {
		/* ends exactly at the end of the ring (newer kernels) */
		*offset = begin & mask;
		*size = r->data_size - *offset;
	} else if ((begin + r->data_size) >> bits == next >> bits) {
		*offset = 0; /* wrapped: the whole block is at the start */
		*size = next & mask;
	} else {
		goto invalid;
	}
	if (*size < ID_SIZE)
		goto invalid;
	uint64_t block_id = kt_le64(r->data + *offset);
	if ((block_id & DESC_ID_MASK) != id) {
		kt_log_problem(log, "descriptor %" PRIu64 ": its data block at lpos 0x%"
			    PRIx64 " belongs to descriptor %" PRIu64, id, begin,
			    block_id);
		return -1;
	}
	return 1;
invalid:
	kt_log_problem(log, "descriptor %" PRIu64 ": impossible text lpos 0x%" PRIx64
		    "..0x%" PRIx64 " in a %" PRIu64 "-byte ring", id, begin, next,
		    r->data_size);
	return -1;
}

/*
 * "SUBSYSTEM=pci\nDEVICE=+pci:0000:00:01.0" at *offset, or KT_LOG_NO_DICT when
 * the record names neither; false when out of memory.
 */
static bool prb_dict(struct kt_log *log, const struct prb *r, uint64_t id,
		     size_t *offset)
{
	const struct prb_layout *l = r->layout;
	*offset = KT_LOG_NO_DICT;
	if (!l->has_device)
		return true;
	const char *subsystem = (const char *)prb_info(r, id) + l->subsystem;
	const char *device = (const char *)prb_info(r, id) + l->device;
	size_t subsystem_len = strnlen(subsystem, l->subsystem_len);
	size_t device_len = strnlen(device, l->device_len);
	if (!subsystem_len && !device_len)
		return true;
	char buf[64 + 4096 * 2];
	int n = 0;
	if (subsystem_len)
		n += snprintf(buf + n, sizeof(buf) - n, "SUBSYSTEM=%.*s",
			      (int)subsystem_len, subsystem);
	if (device_len)
		n += snprintf(buf + n, sizeof(buf) - n, "%sDEVICE=%.*s",
			      subsystem_len ? "\n" : "", (int)device_len, device);
	return kt_log_add_string(log, buf, (size_t)n, offset);
}

static struct kt_error *prb_add(struct kt_log *log, const struct prb *r,
				uint64_t id, uint64_t seq)
{
	const struct prb_layout *l = r->layout;
	const uint8_t *info = prb_info(r, id);
	uint64_t offset = 0, size = ID_SIZE;
	int found = prb_text_block(log, r, id, &offset, &size);
	if (found < 0)
		return NULL;
	uint64_t text_len = found ? kt_le16(info + l->text_len) : 0;
	if (text_len > size - ID_SIZE) {
		kt_log_problem(log, "descriptor %" PRIu64 ": text_len %" PRIu64
			    " exceeds its %" PRIu64 "-byte block; truncated",
			    id, text_len, size - ID_SIZE);
		text_len = size - ID_SIZE;
	}
	struct kt_log_record record = {
		.seq = seq,
		.ts_nsec = kt_le64(info + l->ts_nsec),
		.level = info[l->level] >> 5,
		.facility = info[l->facility],
		.caller_id = l->has_caller_id ? kt_le32(info + l->caller_id) : 0,
		.text_len = text_len,
	};
	size_t text, dict;
	if (!kt_log_add_string(log, r->data + offset + ID_SIZE, text_len, &text) ||
	    !prb_dict(log, r, id, &dict))
		return &kt_error_out_of_memory;
	return kt_log_add_record(log, &record, text, dict);
}

/* Records from the tail (oldest) to the head (newest), inclusive. */
static struct kt_error *prb_walk(struct kt_log *log, const struct prb *r,
				 const uint8_t *rb)
{
	uint64_t head = kt_le64(rb + r->layout->head_id) & DESC_ID_MASK;
	uint64_t tail = kt_le64(rb + r->layout->tail_id) & DESC_ID_MASK;
	uint64_t span = (head - tail) & DESC_ID_MASK;
	if (span >= r->count) {
		kt_log_problem(log, "tail_id %" PRIu64 " and head_id %" PRIu64
			    " are further apart than the %" PRIu64
			    " descriptors; reading the newest only",
			    tail, head, r->count);
		span = r->count - 1;
		tail = (head - span) & DESC_ID_MASK;
	}
	uint64_t delta = prb_common_seq_delta(r, tail, span);
	for (uint64_t i = 0; i <= span; i++) {
		uint64_t id = (tail + i) & DESC_ID_MASK;
		if (!prb_readable(r, id))
			continue;
		uint64_t seq = kt_le64(prb_info(r, id) + r->layout->seq);
		if (prb_seq_delta(r, id) != delta) {
			kt_log_problem(log, "descriptor %" PRIu64 ": seq %" PRIu64
				    " does not match its place in the ring (%" PRIu64 ")",
				    id, seq, (id + delta) & DESC_ID_MASK);
			continue;
		}
		struct kt_error *err = prb_add(log, r, id, seq);
		if (err)
			return err;
	}
	return NULL;
}

/* Copy the descriptor, info and text arrays the ringbuffer points to. */
static struct kt_error *prb_read_rings(const struct kt_log_source *src,
				       const uint8_t *rb, struct prb *r)
{
	const struct prb_layout *l = r->layout;
	uint32_t count_bits = kt_le32(rb + l->count_bits);
	uint32_t size_bits = kt_le32(rb + l->size_bits);
	if (count_bits > 30 || size_bits > 31 || size_bits < 4)
		return kt_error_create(KT_ERR_INVALID,
				       "printk ringbuffer: impossible sizes "
				       "(count_bits %u, size_bits %u)",
				       count_bits, size_bits);
	r->count = UINT64_C(1) << count_bits;
	r->data_size = UINT64_C(1) << size_bits;
	uint64_t descs_size = r->count * l->desc_size;
	uint64_t infos_size = r->count * l->info_size;
	if (descs_size + infos_size + r->data_size > kt_log_max_bytes(src))
		return kt_error_create(KT_ERR_INVALID,
				       "printk ringbuffer: %" PRIu64 " descriptors and a %"
				       PRIu64 "-byte text ring exceed the %" PRIu64 "-byte limit",
				       r->count, r->data_size, kt_log_max_bytes(src));
	if (size_bits > KT_LOG_MAX_TEXT_BITS)
		return kt_error_create(KT_ERR_INVALID,
				       "printk ringbuffer: a text ring of %" PRIu64 " MiB, more than "
				       "the %u MiB a kernel can be built with: not read",
				       r->data_size >> 20, 1u << (KT_LOG_MAX_TEXT_BITS - 20));
	struct kt_error *err;
	if ((err = kt_log_read_array(src, "prb descriptors", kt_le64(rb + l->descs),
			      descs_size, &r->descs)) ||
	    (err = kt_log_read_array(src, "prb infos", kt_le64(rb + l->infos),
			      infos_size, &r->infos)) ||
	    (err = kt_log_read_array(src, "prb text ring", kt_le64(rb + l->data),
			      r->data_size, &r->data)))
		return err;
	return NULL;
}

struct kt_error *kt_log_prb_load(const struct kt_log_source *src,
				 uint64_t prb_symbol, struct kt_log *log)
{
	struct prb_layout layout;
	struct prb r = { .layout = &layout };
	uint8_t *rb = NULL;
	uint64_t address;
	struct kt_error *err = prb_layout(src->vmcoreinfo, &layout);
	if (!err && (err = kt_log_read_u64(src, prb_symbol, &address)))
		err = kt_error_wrap(err, "reading prb at 0x%" PRIx64, prb_symbol);
	if (!err)
		err = kt_log_read_array(src, "struct printk_ringbuffer", address,
				 layout.rb_size, &rb);
	if (!err)
		err = prb_read_rings(src, rb, &r);
	if (!err)
		err = prb_walk(log, &r, rb);
	free(rb);
	free(r.descs);
	free(r.infos);
	free(r.data);
	return err;
}
