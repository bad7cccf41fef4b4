// SPDX-License-Identifier: MIT
/* Reading a structure's members by name: the offset comes from the types. */
#include <string.h>

#include "internal.h"

struct kt_error *kt_read_member_uint(struct kt_kernel *k, uint64_t base,
				     const char *type, const char *member,
				     uint64_t *value)
{
	struct kt_member m;
	struct kt_error *err = kt_type_member(k, type, member, &m);
	if (err)
		return err;
	if (m.bit_size) {
		uint64_t word = 0;
		uint64_t first = m.bit_offset / 8;
		size_t bytes = (size_t)((m.bit_offset % 8 + m.bit_size + 7) / 8);
		if (bytes > sizeof(word))
			return kt_error_create(KT_ERR_UNSUPPORTED,
					       "%s.%s: bitfield spans more than 8 bytes",
					       type, member);
		err = kt_kernel_read(k, base + first, &word, bytes);
		if (err)
			return err;
		word >>= m.bit_offset % 8;
		*value = m.bit_size < 64 ? word & ((1ull << m.bit_size) - 1) : word;
		return NULL;
	}
	if (m.size != 1 && m.size != 2 && m.size != 4 && m.size != 8)
		return kt_error_create(KT_ERR_USAGE,
				       "%s.%s is %llu bytes, not an integer",
				       type, member, (unsigned long long)m.size);
	uint64_t v = 0;
	err = kt_kernel_read(k, base + m.bit_offset / 8, &v, (size_t)m.size);
	if (err)
		return err;
	*value = v; /* little-endian: the low bytes are the value */
	return NULL;
}

struct kt_error *kt_read_member_u64(struct kt_kernel *k, uint64_t base,
				    const char *type, const char *member,
				    uint64_t *value)
{
	uint64_t offset;
	struct kt_error *err = kt_type_offsetof(k, type, member, &offset);
	if (err)
		return err;
	return kt_kernel_read_u64(k, base + offset, value);
}

/* Probing reads: the walkers that skip what they cannot read need only
 * whether it worked (kt_error_catch frees what said why). */
bool kt_try_member(struct kt_kernel *k, uint64_t base, const char *type,
		   const char *member, uint64_t *value)
{
	return !kt_error_catch(kt_read_member_uint(k, base, type, member, value));
}

bool kt_try_read_u64(struct kt_kernel *k, uint64_t address, uint64_t *value)
{
	return !kt_error_catch(kt_kernel_read_u64(k, address, value));
}
