// SPDX-License-Identifier: MIT
/*
 * Walking a kernel list_head list read from a dump.  The memory is hostile:
 * a damaged next pointer may be NULL, unaligned, unreadable, or point back
 * into the list somewhere other than the head, which would loop forever.
 * So every walk is bounded, and every entry's address goes into a set so a
 * loop is seen the first time an entry comes round again.
 */
#include <stdlib.h>
#include <string.h>

#include "layouts.h"

#define SET_MIN_SLOTS 64

/* Open addressing; 0 marks an empty slot (no list entry lives at 0). */
static uint64_t *slot_of(const struct kt_list_walk *w, uint64_t address)
{
	uint64_t h = address * 0x9e3779b97f4a7c15ull;
	size_t mask = w->set_slots - 1;
	for (size_t i = (size_t)(h >> 20) & mask;; i = (i + 1) & mask)
		if (w->set[i] == 0 || w->set[i] == address)
			return &w->set[i];
}

static bool set_grow(struct kt_list_walk *w)
{
	size_t slots = w->set_slots ? w->set_slots * 2 : SET_MIN_SLOTS;
	uint64_t *old = w->set;
	size_t old_slots = w->set_slots;
	w->set = calloc(slots, sizeof(*w->set));
	if (!w->set) {
		w->set = old;
		return false;
	}
	w->set_slots = slots;
	for (size_t i = 0; i < old_slots; i++)
		if (old[i])
			*slot_of(w, old[i]) = old[i];
	free(old);
	return true;
}

/* Add address; false if it was there already (the list loops). */
static bool set_add(struct kt_list_walk *w, uint64_t address, bool *oom)
{
	*oom = false;
	if ((w->set_used + 1) * 2 > w->set_slots && !set_grow(w)) {
		*oom = true;
		return true;
	}
	uint64_t *slot = slot_of(w, address);
	if (*slot)
		return false;
	*slot = address;
	w->set_used++;
	return true;
}

void kt_list_walk_init(struct kt_list_walk *w, kt_list_read_fn read,
		       void *context, uint64_t head, size_t limit)
{
	memset(w, 0, sizeof(*w));
	w->read = read;
	w->context = context;
	w->head = head;
	w->current = head;
	w->limit = limit && limit < KT_MAX_LIST_ENTRIES ? limit
							: KT_MAX_LIST_ENTRIES;
}

static struct kt_error *read_kernel_pointer(void *context, uint64_t address,
					    uint64_t *value)
{
	struct kt_kernel *k = context;
	if (!kt_kernel_is_kernel_address(k, address))
		return kt_error_create(KT_ERR_FAULT,
				       "0x%llx is not a kernel address",
				       (unsigned long long)address);
	return kt_kernel_read_u64(k, address, value);
}

void kt_list_walk_kernel(struct kt_list_walk *w, struct kt_kernel *k,
			 uint64_t head)
{
	kt_list_walk_init(w, read_kernel_pointer, k, head, 0);
	w->next_offset = kt_layouts_list_head(k).next;
}

static struct kt_error *stop(struct kt_list_walk *w, struct kt_error *err)
{
	w->done = true;
	return kt_error_wrap(err, "list at 0x%llx, after %zu entries",
			     (unsigned long long)w->head, w->count);
}

/*
 * Each entry's next pointer is read before the entry is given out, so an
 * entry is only given if its list_head could be read: a pointer into
 * nowhere ends the walk rather than becoming an entry.
 */
struct kt_error *kt_list_walk_next(struct kt_list_walk *w, uint64_t *entry)
{
	*entry = 0;
	if (w->done)
		return NULL;
	struct kt_error *err;
	if (w->count == 0 &&
	    (err = w->read(w->context, w->head + w->next_offset, &w->next)))
		return stop(w, err);
	uint64_t next = w->next;
	if (next == w->head) {
		w->done = true;
		return NULL;
	}
	if (next == 0 || next % sizeof(uint64_t))
		return stop(w, kt_error_create(KT_ERR_INVALID,
					       "entry 0x%llx has next pointer 0x%llx",
					       (unsigned long long)w->current,
					       (unsigned long long)next));
	if (w->count >= w->limit)
		return stop(w, kt_error_create(KT_ERR_INVALID,
					       "more than %zu entries: giving up",
					       w->limit));
	bool oom;
	if (!set_add(w, next, &oom))
		return stop(w, kt_error_create(KT_ERR_INVALID,
					       "entry 0x%llx comes round again: the list loops",
					       (unsigned long long)next));
	if (oom)
		return stop(w, kt_error_create(KT_ERR_NOMEM,
					       "out of memory remembering entries"));
	if ((err = w->read(w->context, next + w->next_offset, &w->next)))
		return stop(w, kt_error_wrap(err, "entry 0x%llx (after 0x%llx)",
					     (unsigned long long)next,
					     (unsigned long long)w->current));
	w->current = next;
	w->count++;
	*entry = next;
	return NULL;
}

void kt_list_walk_destroy(struct kt_list_walk *w)
{
	free(w->set);
	w->set = NULL;
	w->set_slots = w->set_used = 0;
}
