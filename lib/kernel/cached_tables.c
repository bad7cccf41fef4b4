// SPDX-License-Identifier: MIT
/*
 * The kernel's kallsyms tables (with the symbol index built on them) and
 * its BTF through the per-build cache the caller gave (struct
 * kt_kernel_cache in kernel.h; the services layer's is on disk), keyed by
 * VMCOREINFO's BUILD-ID.  Inflating them from the dump's
 * compressed pages is most of a triage; a fleet crashes one build many
 * times, and for a build they are the same bytes in every dump.
 *
 * Validated on use: an entry is taken only when this dump agrees with it
 * where a few page reads can tell: the symbol count and the tables' sizes,
 * the 256-entry token index, the first bytes of the names and the last
 * offsets; for BTF its size, its first page and its last bytes.  Anything
 * else (no BUILD-ID, no entry, a damaged one, a mismatch) is a miss and the
 * dump is read as without a cache.  A failed write is not an error: the
 * cache is an optimisation, and the triage's output never depends on it.
 */
#include <stdlib.h>
#include <string.h>

#include "symtab.h"
#include "types.h"

enum { TOKEN_TABLE, TOKEN_INDEX, NAMES, OFFSETS, ENTRY, SLOTS, KALLSYMS_SECTIONS };

struct section {
	void *data;
	size_t size;
};
#define CHECK_BYTES 64
#define BTF_HEAD 4096

static const char *cache_key(struct kt_kernel *k)
{
	if (!k->options.build_cache)
		return NULL;
	return kt_vmcoreinfo_get(k->vmcoreinfo, "BUILD-ID");
}

static bool get(struct kt_kernel *k, const char *id, const char *kind, size_t count,
		struct section *s)
{
	void *data[KALLSYMS_SECTIONS] = { 0 };
	size_t sizes[KALLSYMS_SECTIONS] = { 0 };
	const struct kt_kernel_cache *c = k->options.build_cache;
	if (count > KALLSYMS_SECTIONS || !c->get(c->context, id, kind, count, data, sizes))
		return false;
	for (size_t i = 0; i < count; i++)
		s[i] = (struct section){ data[i], sizes[i] };
	return true;
}

static void free_sections(size_t count, struct section *s)
{
	for (size_t i = 0; i < count; i++)
		free(s[i].data);
}

static void put(struct kt_kernel *k, const char *id, const char *kind, size_t count,
		const struct section *s)
{
	void *data[KALLSYMS_SECTIONS];
	size_t sizes[KALLSYMS_SECTIONS];
	const struct kt_kernel_cache *c = k->options.build_cache;
	for (size_t i = 0; i < count && i < KALLSYMS_SECTIONS; i++) {
		data[i] = s[i].data;
		sizes[i] = s[i].size;
	}
	if (count <= KALLSYMS_SECTIONS)
		c->put(c->context, id, kind, count, data, sizes);
}

/* Does memory at address hold these bytes?  A read error says no. */
static bool memory_holds(struct kt_kernel *k, uint64_t address, const void *bytes,
			 size_t size)
{
	uint8_t buf[BTF_HEAD];
	if (size > sizeof(buf))
		return false;
	struct kt_error *err = kt_kernel_read(k, address, buf, size);
	kt_error_free(err);
	return !err && memcmp(buf, bytes, size) == 0;
}

static bool kallsyms_matches(struct kt_kernel *k, const struct kt_kallsyms_location *at,
			     const struct section *s)
{
	size_t offsets_size = (size_t)at->count * sizeof(int32_t);
	if (s[TOKEN_TABLE].size != at->token_table_size ||
	    s[TOKEN_INDEX].size != 256 * sizeof(uint16_t) ||
	    s[NAMES].size != at->names_size || s[OFFSETS].size != offsets_size)
		return false;
	size_t head = at->names_size < CHECK_BYTES ? at->names_size : CHECK_BYTES;
	size_t tail = offsets_size < CHECK_BYTES ? offsets_size : CHECK_BYTES;
	return memory_holds(k, at->token_index, s[TOKEN_INDEX].data, s[TOKEN_INDEX].size) &&
	       memory_holds(k, at->names, s[NAMES].data, head) &&
	       memory_holds(k, at->offsets + offsets_size - tail,
			    (const uint8_t *)s[OFFSETS].data + offsets_size - tail, tail);
}

static bool kallsyms_restore(const struct kt_kallsyms_location *at,
			     const struct section *s,
			     struct kt_symtab *table)
{
	struct kt_kallsyms_buffers b;
	struct kt_error *err = kt_kallsyms_alloc(at, &b);
	if (err) {
		kt_error_free(err);
		return false;
	}
	char *token_table = (char *)b.token_table;
	memcpy(token_table, s[TOKEN_TABLE].data, s[TOKEN_TABLE].size);
	token_table[s[TOKEN_TABLE].size] = '\0';
	memcpy((void *)b.token_index, s[TOKEN_INDEX].data, s[TOKEN_INDEX].size);
	memcpy((void *)b.names, s[NAMES].data, s[NAMES].size);
	memcpy((void *)b.offsets, s[OFFSETS].data, s[OFFSETS].size);
	struct kt_kallsyms_index_arrays a = {
		.entry = s[ENTRY].data, .entry_bytes = s[ENTRY].size,
		.slots = s[SLOTS].data, .slot_bytes = s[SLOTS].size,
	};
	struct kt_kallsyms_index *index = NULL;
	err = kt_kallsyms_index_restore(&b, &a, &index);
	kt_error_free(err);
	if (!index) {
		kt_kallsyms_free(&b);
		return false;
	}
	if (!kt_symtab_set_kallsyms(table, index)) {
		kt_kallsyms_index_destroy(index); /* and the buffers it owns */
		return false;
	}
	return true;
}

bool kt_kallsyms_cache_get(struct kt_kernel *k, struct kt_symtab *table)
{
	const char *id = cache_key(k);
	if (!id)
		return false;
	struct kt_kallsyms_location at;
	struct kt_error *err = kt_kallsyms_locate(k, &at);
	if (err) {
		kt_error_free(err);
		return false;
	}
	struct section s[KALLSYMS_SECTIONS];
	if (!get(k, id, "kallsyms", KALLSYMS_SECTIONS, s))
		return false;
	bool ok = kallsyms_matches(k, &at, s) && kallsyms_restore(&at, s, table);
	free_sections(KALLSYMS_SECTIONS, s);
	return ok;
}

void kt_kallsyms_cache_put(struct kt_kernel *k, const struct kt_symtab *table)
{
	const char *id = cache_key(k);
	struct kt_kallsyms_index *index = kt_symtab_kallsyms(table);
	if (!id || !index)
		return;
	const struct kt_kallsyms_buffers *b = kt_kallsyms_index_buffers(index);
	struct kt_kallsyms_index_arrays a;
	kt_kallsyms_index_arrays(index, &a);
	const struct section s[KALLSYMS_SECTIONS] = {
		[TOKEN_TABLE] = { (void *)b->token_table, b->token_table_size },
		[TOKEN_INDEX] = { (void *)b->token_index, 256 * sizeof(uint16_t) },
		[NAMES] = { (void *)b->names, b->names_size },
		[OFFSETS] = { (void *)b->offsets, (size_t)b->count * sizeof(int32_t) },
		[ENTRY] = { (void *)a.entry, a.entry_bytes },
		[SLOTS] = { (void *)a.slots, a.slot_bytes },
	};
	put(k, id, "kallsyms", KALLSYMS_SECTIONS, s);
}

void *kt_btf_cache_get(struct kt_kernel *k, uint64_t address, size_t size)
{
	const char *id = cache_key(k);
	struct section s;
	if (!id || !get(k, id, "btf", 1, &s))
		return NULL;
	size_t head = size < BTF_HEAD ? size : BTF_HEAD;
	size_t tail = size < CHECK_BYTES ? size : CHECK_BYTES;
	if (s.size == size && memory_holds(k, address, s.data, head) &&
	    memory_holds(k, address + size - tail, (uint8_t *)s.data + size - tail, tail))
		return s.data;
	free(s.data);
	return NULL;
}

void kt_btf_cache_put(struct kt_kernel *k, const void *data, size_t size)
{
	const char *id = cache_key(k);
	struct section s = { (void *)data, size };
	if (id)
		put(k, id, "btf", 1, &s);
}
