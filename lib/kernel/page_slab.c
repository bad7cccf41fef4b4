// SPDX-License-Identifier: MIT
/*
 * Is a struct page the head of a slab?  Three generations of the kernel say
 * it three ways, and the types tell which one a kernel uses:
 *
 *   up to 6.9   a page flag: enum pageflags has PG_slab, a bit of page->flags;
 *   6.10, 6.11  a page type: enum pagetype has PG_slab and PAGE_TYPE_BASE; the
 *               type bits of page->page_type are *cleared* to set a type
 *               (page_type & (PAGE_TYPE_BASE | PG_slab)) == PAGE_TYPE_BASE;
 *   6.12 on     a page type in the top byte: enum pagetype has PGTY_slab,
 *               page->page_type >> 24 == PGTY_slab.
 *
 * makedumpfile 1.7.2 and crash 8.0.2 predate the last two, so this is kept
 * in one place for every walk that asks.
 */
#include <string.h>

#include "page_slab.h"

static bool enum_value(struct kt_kernel *k, const char *type, const char *name,
		       int64_t *value)
{
	struct kt_error *err = kt_type_enum_value(k, type, name, value);
	kt_error_free(err);
	return !err;
}

static struct kt_error *by_page_type(struct kt_kernel *k, struct kt_page_slab *t)
{
	int64_t value, base;
	struct kt_error *err = kt_type_offsetof(k, "struct page", "page_type", &t->offset);
	if (err)
		return kt_error_wrap(err, "slab pages: struct page has no page_type");
	if (enum_value(k, "enum pagetype", "PGTY_slab", &value) && value > 0 && value < 0x100) {
		t->how = KT_PAGE_SLAB_TYPE_BYTE;
		t->value = (uint32_t)value;
		return NULL;
	}
	if (enum_value(k, "enum pagetype", "PG_slab", &value) &&
	    enum_value(k, "enum pagetype", "PAGE_TYPE_BASE", &base) &&
	    value > 0 && value <= UINT32_MAX && base > 0 && base <= UINT32_MAX) {
		t->how = KT_PAGE_SLAB_TYPE_CLEARED;
		t->mask = (uint32_t)(value | base);
		t->value = (uint32_t)base;
		return NULL;
	}
	return kt_error_create(KT_ERR_NOT_FOUND,
			       "slab pages: neither PG_slab (enum pageflags) nor "
			       "PGTY_slab or PG_slab (enum pagetype) in the types");
}

struct kt_error *kt_page_slab_load(struct kt_kernel *k, struct kt_page_slab *t)
{
	int64_t bit;
	memset(t, 0, sizeof(*t));
	if (enum_value(k, "enum pageflags", "PG_slab", &bit)) {
		if (bit < 0 || bit > 63)
			return kt_error_create(KT_ERR_INVALID, "slab pages: PG_slab is bit %lld",
					       (long long)bit);
		struct kt_error *err = kt_type_offsetof(k, "struct page", "flags", &t->offset);
		if (err)
			return kt_error_wrap(err, "slab pages: struct page has no flags");
		t->how = KT_PAGE_SLAB_FLAG;
		t->flag = 1ull << bit;
		return NULL;
	}
	return by_page_type(k, t);
}

bool kt_page_slab_test(const struct kt_page_slab *t, const uint8_t *page, size_t size)
{
	uint64_t flags;
	uint32_t type;
	switch (t->how) {
	case KT_PAGE_SLAB_FLAG:
		if (t->offset + 8 > size)
			return false;
		memcpy(&flags, page + t->offset, sizeof(flags));
		return flags & t->flag;
	case KT_PAGE_SLAB_TYPE_BYTE:
		if (t->offset + 4 > size)
			return false;
		memcpy(&type, page + t->offset, sizeof(type));
		return type >> 24 == t->value;
	case KT_PAGE_SLAB_TYPE_CLEARED:
		if (t->offset + 4 > size)
			return false;
		memcpy(&type, page + t->offset, sizeof(type));
		return (type & t->mask) == t->value;
	}
	return false;
}
