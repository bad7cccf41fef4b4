// SPDX-License-Identifier: MIT
/*
 * The kernel's kallsyms tables as a symbol table, without expanding every
 * name.  Expanding 150,000 token-compressed names and hashing the result
 * was a third of a triage, which looks up a few hundred of them.  A name's
 * hash is instead folded from per-token hashes (a polynomial hash of a
 * concatenation is the hash of the first part times B^length of the
 * second, plus the second's hash), so indexing costs two multiplications
 * a token; a name is expanded only when a lookup lands on it, and kept
 * (the caller holds the pointer as long as the table lives).
 *
 * Trust: the same checks as kt_kallsyms_decode, in the same order, so a
 * damaged table fails with the same message either way.
 */
#include <stdlib.h>
#include <string.h>

#include "symtab.h"

#define HASH_BASE 0x100000001b3ull
#define NAME_BLOCK (64u << 10)

struct slot {
	uint32_t symbol; /* index + 1; 0 when empty */
	uint32_t check;  /* the hash's high half, to skip most expansions */
};

/*
 * A token's hash, B^length and length, side by side for the hot loop; a
 * token outside the table counts KT_KALLSYMS_MAX_NAME long, so that the
 * name's total says it is bad.
 */
struct token_hash {
	uint64_t hash, power;
	size_t length;
};

struct name_block {
	struct name_block *next;
	size_t used;
	char text[NAME_BLOCK];
};

struct kt_kallsyms_index {
	struct kt_kallsyms_buffers b; /* owned */
	bool absolute_percpu;
	int lengths[256];
	struct token_hash token[256];
	/* The first character of a name is its type letter, not hashed. */
	struct token_hash tail[256];
	uint32_t *entry;      /* each symbol's length byte in b.names */
	struct slot *slots;
	size_t slot_mask;
	char **expanded;      /* type letter + name, once asked for */
	struct name_block *blocks;
};

static uint64_t hash_chars(const char *s, size_t n, uint64_t *power)
{
	uint64_t h = 0, p = 1;
	for (size_t i = 0; i < n; i++) {
		h = h * HASH_BASE + (uint8_t)s[i];
		p *= HASH_BASE;
	}
	*power = p;
	return h;
}

/* Spread the polynomial hash's bits (its low bits see only low bits). */
static uint64_t finish_hash(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

static void hash_tokens(struct kt_kallsyms_index *x)
{
	kt_kallsyms_token_lengths(&x->b, x->lengths);
	for (int t = 0; t < 256; t++) {
		if (x->lengths[t] < 0) {
			x->token[t] = x->tail[t] = (struct token_hash){ 0, 1, KT_KALLSYMS_MAX_NAME };
			continue;
		}
		const char *s = x->b.token_table + x->b.token_index[t];
		size_t n = (size_t)x->lengths[t];
		x->token[t].length = x->tail[t].length = n;
		x->token[t].hash = hash_chars(s, n, &x->token[t].power);
		x->tail[t].hash = n ? hash_chars(s + 1, n - 1, &x->tail[t].power) : 0;
		if (!n)
			x->tail[t].power = 1;
	}
}

static uint64_t address_of(const struct kt_kallsyms_index *x, uint32_t i)
{
	return kt_kallsyms_address(x->b.offsets[i], x->b.relative_base,
				   x->absolute_percpu);
}

/*
 * A name's hash from its tokens, or false if it is bad: a token outside
 * the table, KT_KALLSYMS_MAX_NAME or longer (kt_kallsyms_expand's limit),
 * or shorter than a type letter and one character.
 */
static bool hash_entry(const struct kt_kallsyms_index *x, const uint8_t *tokens,
		       size_t len, uint64_t *hash)
{
	uint64_t h = 0;
	size_t out = 0, j = 0;
	/* Up to the first character, the type letter, which is not hashed. */
	while (j < len && out == 0) {
		const struct token_hash *t = &x->tail[tokens[j++]];
		h = t->hash;
		out = t->length;
	}
	for (; j < len; j++) {
		const struct token_hash *t = &x->token[tokens[j]];
		h = h * t->power + t->hash;
		out += t->length;
	}
	*hash = finish_hash(h);
	return out >= 2 && out < KT_KALLSYMS_MAX_NAME;
}

static int expand_symbol(const struct kt_kallsyms_index *x, uint32_t i,
			 char name[KT_KALLSYMS_MAX_NAME])
{
	size_t pos = x->entry[i], len;
	struct kt_error *err = kt_kallsyms_entry(&x->b, i, &pos, &len);
	if (err) { /* checked while indexing: cannot happen */
		kt_error_free(err);
		return -1;
	}
	return kt_kallsyms_expand(&x->b, x->lengths, x->b.names + pos, len, name);
}

static bool same_name(const struct kt_kallsyms_index *x, uint32_t i, uint32_t j)
{
	char a[KT_KALLSYMS_MAX_NAME], b[KT_KALLSYMS_MAX_NAME];
	return expand_symbol(x, i, a) > 0 && expand_symbol(x, j, b) > 0 &&
	       strcmp(a + 1, b + 1) == 0;
}

/* The first of duplicate names wins: the lowest address, as eager decoding. */
static void insert(struct kt_kallsyms_index *x, uint32_t i, uint64_t hash)
{
	size_t s = hash & x->slot_mask;
	uint32_t check = (uint32_t)(hash >> 32);
	while (x->slots[s].symbol) {
		if (x->slots[s].check == check &&
		    same_name(x, x->slots[s].symbol - 1, i))
			return;
		s = (s + 1) & x->slot_mask;
	}
	x->slots[s] = (struct slot){ i + 1, check };
}

/* One pass: check every entry, hash it; false in *sorted when out of order. */
static struct kt_error *index_entries(struct kt_kallsyms_index *x, bool *sorted)
{
	size_t pos = 0;
	uint64_t previous = 0;
	*sorted = true;
	for (uint32_t i = 0; i < x->b.count; i++) {
		size_t len;
		x->entry[i] = (uint32_t)pos;
		struct kt_error *err = kt_kallsyms_entry(&x->b, i, &pos, &len);
		if (err)
			return err;
		uint64_t hash;
		if (!hash_entry(x, x->b.names + pos, len, &hash))
			return kt_error_create(KT_ERR_FORMAT,
					       "kallsyms: symbol %u: bad token", i);
		pos += len;
		uint64_t address = address_of(x, i);
		if (address < previous)
			*sorted = false;
		previous = address;
		if (*sorted)
			insert(x, i, hash);
	}
	return NULL;
}

void kt_kallsyms_index_destroy(struct kt_kallsyms_index *x)
{
	if (!x)
		return;
	while (x->blocks) {
		struct name_block *next = x->blocks->next;
		free(x->blocks);
		x->blocks = next;
	}
	kt_kallsyms_free(&x->b);
	free(x->entry);
	free(x->slots);
	free(x->expanded);
	free(x);
}

static struct kt_kallsyms_index *index_alloc(const struct kt_kallsyms_buffers *b)
{
	struct kt_kallsyms_index *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	size_t slots = 1;
	while (slots < (size_t)b->count * 2)
		slots *= 2;
	x->slot_mask = slots - 1;
	x->slots = calloc(slots, sizeof(*x->slots));
	size_t count = b->count ? b->count : 1; /* no malloc(0): it may be NULL */
	x->entry = malloc(count * sizeof(*x->entry));
	x->expanded = calloc(count, sizeof(*x->expanded));
	if (!x->slots || !x->entry || !x->expanded) {
		kt_kallsyms_index_destroy(x);
		return NULL;
	}
	return x;
}

struct kt_error *kt_kallsyms_index_create(const struct kt_kallsyms_buffers *b,
					  struct kt_kallsyms_index **index)
{
	*index = NULL;
	if (b->names_size > UINT32_MAX)
		return NULL; /* entry positions would not fit: decode instead */
	struct kt_kallsyms_index *x = index_alloc(b);
	if (!x)
		return &kt_error_out_of_memory;
	x->b = *b;
	x->absolute_percpu = kt_kallsyms_absolute_percpu(b->offsets, b->count);
	hash_tokens(x);
	bool sorted;
	struct kt_error *err = index_entries(x, &sorted);
	if (err || !sorted) {
		x->b = (struct kt_kallsyms_buffers){ 0 }; /* still the caller's */
		kt_kallsyms_index_destroy(x);
		return err;
	}
	*index = x;
	return NULL;
}

void kt_kallsyms_index_arrays(const struct kt_kallsyms_index *x,
			      struct kt_kallsyms_index_arrays *a)
{
	*a = (struct kt_kallsyms_index_arrays){
		.entry = x->entry,
		.entry_bytes = (size_t)x->b.count * sizeof(*x->entry),
		.slots = x->slots,
		.slot_bytes = (x->slot_mask + 1) * sizeof(*x->slots),
	};
}

/*
 * The arrays are trusted no further than their sizes: an entry position is
 * checked by kt_kallsyms_entry when expanded, a slot's symbol below, and a
 * wrong slot only makes a lookup compare against another name.
 */
struct kt_error *kt_kallsyms_index_restore(const struct kt_kallsyms_buffers *b,
					   const struct kt_kallsyms_index_arrays *a,
					   struct kt_kallsyms_index **index)
{
	*index = NULL;
	struct kt_kallsyms_index *x = index_alloc(b);
	if (!x)
		return &kt_error_out_of_memory;
	if (a->entry_bytes != (size_t)b->count * sizeof(*x->entry) ||
	    a->slot_bytes != (x->slot_mask + 1) * sizeof(*x->slots)) {
		kt_kallsyms_index_destroy(x);
		return NULL;
	}
	memcpy(x->entry, a->entry, a->entry_bytes);
	memcpy(x->slots, a->slots, a->slot_bytes);
	x->b = *b;
	x->absolute_percpu = kt_kallsyms_absolute_percpu(b->offsets, b->count);
	hash_tokens(x);
	*index = x;
	return NULL;
}

const struct kt_kallsyms_buffers *kt_kallsyms_index_buffers(const struct kt_kallsyms_index *x)
{
	return &x->b;
}

size_t kt_kallsyms_index_count(const struct kt_kallsyms_index *x)
{
	return x->b.count;
}

/* Symbol i's expansion, kept until the index goes; NULL when out of memory. */
static const char *expanded(struct kt_kallsyms_index *x, uint32_t i)
{
	if (x->expanded[i])
		return x->expanded[i];
	char name[KT_KALLSYMS_MAX_NAME];
	int n = expand_symbol(x, i, name);
	if (n < 2)
		return NULL;
	if (!x->blocks || NAME_BLOCK - x->blocks->used < (size_t)n + 1) {
		struct name_block *block = malloc(sizeof(*block));
		if (!block)
			return NULL;
		*block = (struct name_block){ .next = x->blocks };
		x->blocks = block;
	}
	char *at = x->blocks->text + x->blocks->used;
	memcpy(at, name, (size_t)n + 1);
	x->blocks->used += (size_t)n + 1;
	x->expanded[i] = at;
	return at;
}

bool kt_kallsyms_index_lookup_name(struct kt_kallsyms_index *x, const char *name,
				   uint64_t *address)
{
	uint64_t power;
	uint64_t hash = finish_hash(hash_chars(name, strlen(name), &power));
	uint32_t check = (uint32_t)(hash >> 32);
	/* At most one round: restored slots need not have an empty one. */
	size_t s = hash & x->slot_mask;
	for (size_t probes = 0; probes <= x->slot_mask && x->slots[s].symbol;
	     probes++, s = (s + 1) & x->slot_mask) {
		uint32_t i = x->slots[s].symbol - 1;
		if (x->slots[s].check != check || i >= x->b.count)
			continue;
		const char *found = expanded(x, i);
		if (found && strcmp(found + 1, name) == 0) {
			*address = address_of(x, i);
			return true;
		}
	}
	return false;
}

bool kt_kallsyms_index_lookup_address(struct kt_kallsyms_index *x, uint64_t address,
				      struct kt_symbol *symbol)
{
	uint32_t count = x->b.count;
	if (!count || address < address_of(x, 0))
		return false;
	uint32_t lo = 0, hi = count;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (address_of(x, mid) <= address)
			lo = mid;
		else
			hi = mid;
	}
	uint64_t at = address_of(x, lo);
	/* Among symbols at one address, the kernel's order puts the preferred first. */
	while (lo > 0 && address_of(x, lo - 1) == at)
		lo--;
	uint32_t next = lo + 1;
	while (next < count && address_of(x, next) == at)
		next++;
	const char *name = expanded(x, lo);
	if (!name)
		return false;
	*symbol = (struct kt_symbol){
		.name = name + 1,
		.address = at,
		.size = next < count ? address_of(x, next) - at : 0,
		.type = name[0],
	};
	return true;
}
