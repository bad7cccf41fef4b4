// SPDX-License-Identifier: MIT
/*
 * The kallsyms tables found without VMCOREINFO's SYMBOL(kallsyms_*), which
 * only 6.0+ kernels write.  scripts/kallsyms of 4.18..6.1 lays them out, in
 * one object at the end of .rodata, as
 *
 *   kallsyms_offsets[num_syms]  int32, sorted by address
 *   kallsyms_relative_base      u64: _text, relocated with the kernel
 *   kallsyms_num_syms           u32 (a .long or a .quad)
 *   kallsyms_names              length byte(s) + token indices, per symbol
 *   kallsyms_markers            offset in names of every 256th symbol
 *   (kallsyms_seqs_of_names     3 bytes per symbol: 6.2, some 6.1 builds)
 *   kallsyms_token_table        256 NUL-terminated strings
 *   kallsyms_token_index        256 u16: where each token starts
 *
 * each table aligned to 8 (6.4 moved the offsets, relative_base and
 * seqs_of_names after the token index: handled below too).  The offsets
 * are the one table that a single
 * page betrays: a thousand int32 moving one way by small steps (up from a
 * base, or down with ABSOLUTE_PERCPU: relative_base - 1 - address).  So
 * the image is probed one page every 64 KiB; where a page looks like
 * offsets, the array is followed to its end and every other table is
 * checked against it: num_syms against the offsets, the markers against a
 * walk of the names, the token index against the token strings, and
 * SYMBOL(_stext) must be one of the addresses.  Nothing read is trusted:
 * every count and length is bounded before it is used, and all reads go
 * through the caller's callback, one page at a time.
 *
 * Pure: no kernel, no dump; the fuzz harness gives it bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "kallsyms_scan.h"

#define PAGE 4096u
#define PROBE_STRIDE 0x10000u
#define MAX_RANGE (256ull << 20)
#define MAX_SYMBOLS (1u << 21)
#define MAX_NAMES_BYTES (64u << 20)
#define MAX_CANDIDATES 64
#define MAX_STEP (1 << 28)  /* between neighbouring symbols' offsets */
#define MAX_TOKEN 255
#define TOKEN_TABLE_MAX 65535u
#define MARKER_STRIDE 256

/* A one-page window on the image: a walk reads each page once. */
struct window {
	const struct kt_kallsyms_scan_input *in;
	uint64_t base;
	bool loaded, readable;
	unsigned reads;
	uint8_t bytes[PAGE];
};

static bool load_page(struct window *w, uint64_t base)
{
	const struct kt_kallsyms_scan_input *in = w->in;
	uint64_t from = base < in->start ? in->start : base;
	uint64_t to = base + PAGE > in->end ? in->end : base + PAGE;
	w->base = base;
	w->loaded = true;
	w->reads++;
	memset(w->bytes, 0, PAGE);
	w->readable = from < to &&
		      in->read(in->context, from, w->bytes + (from - base), to - from);
	return w->readable;
}

static bool image_read(struct window *w, uint64_t address, void *buf, size_t len)
{
	const struct kt_kallsyms_scan_input *in = w->in;
	if (address < in->start || address >= in->end || len > in->end - address)
		return false;
	uint8_t *out = buf;
	while (len) {
		uint64_t base = address & ~(uint64_t)(PAGE - 1);
		if (!w->loaded || w->base != base) {
			if (!load_page(w, base))
				return false;
		} else if (!w->readable) {
			return false;
		}
		size_t at = (size_t)(address - base);
		size_t n = PAGE - at < len ? PAGE - at : len;
		memcpy(out, w->bytes + at, n);
		out += n;
		address += n;
		len -= n;
	}
	return true;
}

static bool read_i32(struct window *w, uint64_t address, int32_t *v)
{
	return image_read(w, address, v, sizeof(*v));
}

static uint64_t align_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) & ~(to - 1);
}

/*
 * +1 or -1 when the page is a thousand int32 moving one way in small
 * steps, as kallsyms_offsets do; 0 for anything else (code, strings,
 * zeros, pointers).
 */
static int offsets_trend(const uint8_t *page)
{
	unsigned up = 0, down = 0, far = 0;
	int32_t prev;
	memcpy(&prev, page, sizeof(prev));
	for (size_t i = 4; i < PAGE; i += 4) {
		int32_t v;
		memcpy(&v, page + i, sizeof(v));
		int64_t step = (int64_t)v - prev;
		up += step > 0;
		down += step < 0;
		far += step > MAX_STEP || step < -MAX_STEP;
		prev = v;
	}
	if (far > 4)
		return 0;
	if (up >= 700 && down <= 2)
		return 1;
	if (down >= 700 && up <= 2)
		return -1;
	return 0;
}

static bool continues(int32_t prev, int32_t v, int trend)
{
	int64_t step = ((int64_t)v - prev) * trend;
	return step >= 0 && step <= MAX_STEP;
}

/* Follow the offsets from a page inside them to just past their end. */
static bool offsets_end(struct window *w, uint64_t hit, int trend, uint64_t *end)
{
	int32_t prev, v;
	if (!read_i32(w, hit, &prev))
		return false;
	uint64_t at = hit + 4;
	for (uint32_t n = 0; n < MAX_SYMBOLS; n++, at += 4) {
		if (!read_i32(w, at, &v) || !continues(prev, v, trend)) {
			*end = at;
			return true;
		}
		prev = v;
	}
	return false;
}

static uint64_t symbol_address(int32_t offset, uint64_t base, bool absolute)
{
	if (!absolute)
		return base + (uint32_t)offset;
	if (offset >= 0)
		return (uint64_t)offset;
	return base - 1 - (uint64_t)(int64_t)offset;
}

/* How many of the facts are addresses of symbols; false without _stext. */
static bool check_facts(struct window *w, uint64_t base,
			struct kt_kallsyms_scan_result *r)
{
	const struct kt_kallsyms_scan_input *in = w->in;
	bool found[KT_KALLSYMS_MAX_FACTS] = { false }, stext = false;
	size_t nr = in->nr_facts < KT_KALLSYMS_MAX_FACTS ? in->nr_facts : KT_KALLSYMS_MAX_FACTS;
	int32_t last;
	if (!read_i32(w, r->tables.offsets + 4ull * (r->count - 1), &last))
		return false;
	r->absolute_percpu = last < 0;
	for (uint32_t i = 0; i < r->count; i++) {
		int32_t offset;
		if (!read_i32(w, r->tables.offsets + 4ull * i, &offset))
			return false;
		uint64_t address = symbol_address(offset, base, r->absolute_percpu);
		stext |= address == in->stext;
		for (size_t f = 0; f < nr; f++)
			found[f] |= address == in->facts[f];
	}
	r->facts_matched = 0;
	for (size_t f = 0; f < nr; f++)
		r->facts_matched += found[f];
	return stext;
}

/* Walk count names, noting where every 256th starts; *end past the last. */
static bool walk_names(struct window *w, uint64_t names, uint32_t count,
		       uint32_t *marks, uint64_t *end)
{
	uint64_t at = names;
	for (uint32_t i = 0; i < count; i++) {
		if (at - names > MAX_NAMES_BYTES)
			return false;
		if (i % MARKER_STRIDE == 0)
			marks[i / MARKER_STRIDE] = (uint32_t)(at - names);
		uint8_t len, high;
		if (!image_read(w, at++, &len, 1))
			return false;
		size_t n = len;
		if (len & 0x80) { /* two-byte length (6.1+) */
			if (!image_read(w, at++, &high, 1))
				return false;
			n = (len & 0x7fu) | ((size_t)high << 7);
		}
		if (n == 0)
			return false;
		at += n;
	}
	*end = at;
	return true;
}

static bool markers_match(struct window *w, uint64_t at, unsigned width,
			  const uint32_t *marks, uint32_t nr)
{
	for (uint32_t k = 0; k < nr; k++) {
		uint64_t v = 0;
		if (!image_read(w, at + (uint64_t)k * width, &v, width) || v != marks[k])
			return false;
	}
	return true;
}

/* The markers follow the names, aligned to their width or to 8. */
static bool find_markers(struct window *w, uint64_t names_end,
			 const uint32_t *marks, uint32_t nr,
			 struct kt_kallsyms_scan_result *r, uint64_t *after)
{
	static const unsigned widths[] = { 8, 4 };
	for (size_t i = 0; i < 2; i++) {
		uint64_t at = align_up(names_end, widths[i]);
		for (int tries = 0; tries < 2; tries++, at = align_up(names_end, 8)) {
			if (markers_match(w, at, widths[i], marks, nr)) {
				r->marker_width = widths[i];
				*after = at + (uint64_t)nr * widths[i];
				return true;
			}
		}
	}
	return false;
}

/* 256 non-empty strings from at; offsets[] where each starts. */
static bool read_token_strings(struct window *w, uint64_t at,
			       uint16_t offsets[256], uint64_t *end)
{
	uint64_t p = at;
	for (int t = 0; t < 256; t++) {
		if (p - at > TOKEN_TABLE_MAX)
			return false;
		offsets[t] = (uint16_t)(p - at);
		size_t len = 0;
		for (;; len++, p++) {
			char c;
			if (len > MAX_TOKEN || !image_read(w, p, &c, 1))
				return false;
			if (c == '\0')
				break;
		}
		if (len == 0)
			return false;
		p++;
	}
	*end = p;
	return true;
}

static bool find_tokens(struct window *w, uint64_t after_markers,
			struct kt_kallsyms_tables *t)
{
	uint16_t offsets[256], index[256];
	for (uint64_t at = after_markers; at < align_up(after_markers, 8) + 1; at++) {
		uint64_t end;
		if (!read_token_strings(w, at, offsets, &end))
			continue;
		for (unsigned a = 1; a <= 8; a *= 2) {
			uint64_t idx = align_up(end, a);
			if (image_read(w, idx, index, sizeof(index)) &&
			    memcmp(index, offsets, sizeof(index)) == 0) {
				t->token_table = at;
				t->token_index = idx;
				return true;
			}
		}
	}
	return false;
}

/*
 * kallsyms_seqs_of_names (6.2, and backported to some 6.1 builds, Debian's
 * among them): between the markers and the token table, count 3-byte
 * big-endian symbol indexes in name order.  Sampled, not all read.
 */
static bool seqs_of_names_fit(struct window *w, uint64_t at, uint32_t count)
{
	for (uint32_t i = 0; i < count; i += count / 16 + 1) {
		uint8_t seq[3];
		if (!image_read(w, at + 3ull * i, seq, sizeof(seq)) ||
		    ((uint32_t)seq[0] << 16 | (uint32_t)seq[1] << 8 | seq[2]) >= count)
			return false;
	}
	return true;
}

/* Everything after the offsets, when relative_base sits at e. */
static bool try_layout(struct window *w, uint64_t e, uint64_t hit,
		       struct kt_kallsyms_scan_result *r)
{
	const struct kt_kallsyms_scan_input *in = w->in;
	uint64_t base;
	uint32_t count;
	if (!image_read(w, e, &base, sizeof(base)) ||
	    !image_read(w, e + 8, &count, sizeof(count)))
		return false;
	if (base > in->stext || in->stext - base > MAX_RANGE || count == 0 ||
	    count > MAX_SYMBOLS || align_up(4ull * count, 8) > e - in->start)
		return false;
	r->count = count;
	r->tables = (struct kt_kallsyms_tables){
		.offsets = e - align_up(4ull * count, 8),
		.relative_base = e,
		.num_syms = e + 8,
		.names = e + 16,
	};
	if (hit < r->tables.offsets || !check_facts(w, base, r))
		return false;
	uint32_t nr = (count + MARKER_STRIDE - 1) / MARKER_STRIDE;
	uint32_t *marks = malloc(nr * sizeof(*marks));
	uint64_t names_end, after_markers;
	bool ok = marks && walk_names(w, r->tables.names, count, marks, &names_end) &&
		  find_markers(w, names_end, marks, nr, r, &after_markers) &&
		  (find_tokens(w, after_markers, &r->tables) ||
		   (seqs_of_names_fit(w, align_up(after_markers, 8), count) &&
		    find_tokens(w, align_up(after_markers, 8) + 3ull * count, &r->tables)));
	free(marks);
	return ok;
}

/* ---- 6.4+: scripts/kallsyms "change the output order" ---------------- */
/*
 *   kallsyms_num_syms, kallsyms_names, kallsyms_markers (u32),
 *   kallsyms_token_table, kallsyms_token_index, kallsyms_offsets,
 *   kallsyms_relative_base, kallsyms_seqs_of_names
 *
 * Such kernels name their tables in VMCOREINFO; this serves a dump whose
 * VMCOREINFO lost them.  From the offsets, everything is found backwards:
 * the token index ends where they start, the token strings end where the
 * index starts, the markers where the strings start, and the names (with
 * num_syms before them) where the markers start.
 */
#define MAX_LAST_BLOCK (256u * 64)

static bool index_matches(struct window *w, uint64_t at, uint16_t index[256])
{
	if (!image_read(w, at, index, 512) || index[0] != 0)
		return false;
	for (int t = 1; t < 256; t++)
		if (index[t] <= index[t - 1] || index[t] - index[t - 1] > MAX_TOKEN + 1)
			return false;
	return true;
}

/* The token strings that end at end (less padding), matching index. */
static bool table_before(struct window *w, uint64_t end, const uint16_t index[256],
			 uint64_t *table)
{
	uint16_t offsets[256];
	for (uint64_t pad = 0; pad < 8 && pad + 2 <= end; pad++) {
		uint64_t last = end - pad - 2; /* the last token's last character */
		uint8_t c = 0;
		size_t len = 0;
		while (len <= MAX_TOKEN && image_read(w, last - len, &c, 1) && c != 0)
			len++;
		if (c != 0 || len == 0 || last + 1 - len < (uint64_t)index[255] + w->in->start)
			continue;
		uint64_t at = last + 1 - len - index[255], stop;
		if (read_token_strings(w, at, offsets, &stop) && stop == end - pad &&
		    memcmp(offsets, index, sizeof(offsets)) == 0) {
			*table = at;
			return true;
		}
	}
	return false;
}

/* The token index whose offsets start at or before hit: 8-aligned, below. */
static bool tokens_before(struct window *w, uint64_t offsets_from, uint64_t limit,
			  struct kt_kallsyms_tables *t)
{
	uint16_t index[256];
	for (uint64_t at = (offsets_from & ~7ull) - 512; at + 512 > limit && at >= w->in->start;
	     at -= 8) {
		uint16_t first[2];
		if (!image_read(w, at, first, sizeof(first)) || first[0] != 0 ||
		    first[1] < 2 || first[1] > MAX_TOKEN + 1 || !index_matches(w, at, index) ||
		    !table_before(w, at, index, &t->token_table))
			continue;
		t->token_index = at;
		t->offsets = align_up(at + 512, 8);
		return true;
	}
	return false;
}

/* num_syms and the names that end at the markers. */
static bool names_before(struct window *w, uint64_t markers, const uint32_t *marks,
			 uint32_t nr, struct kt_kallsyms_scan_result *r)
{
	uint32_t *walked = malloc(nr * sizeof(*walked));
	uint64_t top = markers > marks[nr - 1] ? (markers - marks[nr - 1]) & ~7ull : 0;
	bool found = false;
	for (uint64_t n = top; walked && !found && n + MAX_LAST_BLOCK > top && n >= w->in->start + 8;
	     n -= 8) {
		uint32_t count, high, end_pad;
		uint64_t end;
		if (!image_read(w, n - 8, &count, 4) || !image_read(w, n - 4, &high, 4) ||
		    count != r->count || high != 0)
			continue;
		if (!walk_names(w, n, count, walked, &end) || end > markers ||
		    (end_pad = (uint32_t)(markers - end)) >= 8 ||
		    memcmp(walked, marks, nr * sizeof(*walked)) != 0)
			continue;
		r->tables.names = n;
		r->tables.num_syms = n - 8;
		found = true;
	}
	free(walked);
	return found;
}

/* The markers before the token strings: u32 (or u64), marks[0] = 0. */
static bool markers_before(struct window *w, struct kt_kallsyms_scan_result *r)
{
	uint32_t nr = (r->count + MARKER_STRIDE - 1) / MARKER_STRIDE;
	uint32_t *marks = malloc(nr * sizeof(*marks));
	bool found = false;
	for (unsigned width = 4; marks && !found && width <= 8; width += 4)
		for (uint64_t pad = 0; !found && pad < 8; pad += width) {
			uint64_t at = r->tables.token_table - pad - (uint64_t)nr * width;
			uint64_t v = 0;
			bool ok = at >= w->in->start && at < r->tables.token_table;
			for (uint32_t k = 0; ok && k < nr; k++) {
				ok = image_read(w, at + (uint64_t)k * width, &v, width) &&
				     (k == 0 ? v == 0 : v > marks[k - 1]) && v <= MAX_NAMES_BYTES;
				if (ok)
					marks[k] = (uint32_t)v;
			}
			if (ok && names_before(w, at, marks, nr, r)) {
				r->marker_width = width;
				found = true;
			}
		}
	free(marks);
	return found;
}

static bool try_layout_after_tokens(struct window *w, uint64_t end, uint64_t hit,
				    struct kt_kallsyms_scan_result *r)
{
	const struct kt_kallsyms_scan_input *in = w->in;
	uint64_t rb = align_up(end, 8), base;
	if (!image_read(w, rb, &base, sizeof(base)) || base > in->stext ||
	    in->stext - base > MAX_RANGE)
		return false;
	memset(&r->tables, 0, sizeof(r->tables));
	uint64_t limit = hit > 4ull * MAX_SYMBOLS ? hit - 4ull * MAX_SYMBOLS : 0;
	if (!tokens_before(w, hit, limit, &r->tables) || r->tables.offsets > hit ||
	    (end - r->tables.offsets) % 4 || end == r->tables.offsets)
		return false;
	r->count = (uint32_t)((end - r->tables.offsets) / 4);
	r->tables.relative_base = rb;
	return check_facts(w, base, r) && markers_before(w, r);
}

static bool try_candidate(struct window *w, uint64_t hit, int trend,
			  struct kt_kallsyms_scan_result *r, uint64_t *walked_to)
{
	uint64_t end;
	if (!offsets_end(w, hit, trend, &end))
		return false;
	*walked_to = end;
	/* Padding to 8 follows an odd count; a step may look like one more. */
	uint64_t e = align_up(end, 8);
	return try_layout(w, e, hit, r) || try_layout(w, e + 8, hit, r) ||
	       (e - 8 > hit && try_layout(w, e - 8, hit, r)) ||
	       try_layout_after_tokens(w, end, hit, r);
}

static bool probe(struct window *w, uint64_t stride, uint64_t skip_stride,
		  struct kt_kallsyms_scan_result *r)
{
	const struct kt_kallsyms_scan_input *in = w->in;
	uint8_t page[PAGE];
	uint64_t walked_to = 0;
	for (uint64_t at = align_up(in->start, PAGE); at < in->end && in->end - at >= PAGE;
	     at += stride) {
		if ((skip_stride && at % skip_stride == 0) || at < walked_to)
			continue;
		w->reads++;
		if (!in->read(in->context, at, page, PAGE))
			continue;
		int trend = offsets_trend(page);
		if (!trend)
			continue;
		if (++r->candidates > MAX_CANDIDATES)
			return false;
		if (try_candidate(w, at, trend, r, &walked_to))
			return true;
	}
	return false;
}

struct kt_error *kt_kallsyms_scan(const struct kt_kallsyms_scan_input *in,
				  struct kt_kallsyms_scan_result *r)
{
	memset(r, 0, sizeof(*r));
	/* The image lies well below the top of the address space: no address
	 * computed from the range (aligned, plus a table's size) wraps. */
	if (!in->read || in->start >= in->end || in->end - in->start > MAX_RANGE ||
	    in->end > UINT64_MAX - MAX_RANGE ||
	    in->stext < in->start || in->stext >= in->end)
		return kt_error_create(KT_ERR_USAGE,
				       "kallsyms scan: range 0x%llx-0x%llx is empty, too large or misses _stext",
				       (unsigned long long)in->start,
				       (unsigned long long)in->end);
	struct window *w = calloc(1, sizeof(*w));
	if (!w)
		return &kt_error_out_of_memory;
	w->in = in;
	/* A page every 64 KiB finds the offsets of 17,000 symbols or more;
	 * every page, those of smaller kernels: only when the first pass saw
	 * no offsets at all (a damaged fact must not cost a read of it all). */
	bool found = probe(w, PROBE_STRIDE, 0, r) ||
		     (r->candidates == 0 && probe(w, PAGE, PROBE_STRIDE, r));
	r->pages_read = w->reads;
	free(w);
	if (found)
		return NULL;
	return kt_error_create(KT_ERR_NOT_FOUND,
			       "kallsyms tables not found in the kernel image 0x%llx-0x%llx (%u pages read, %u candidates)",
			       (unsigned long long)in->start,
			       (unsigned long long)in->end, r->pages_read,
			       r->candidates);
}
