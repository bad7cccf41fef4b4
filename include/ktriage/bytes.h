/* SPDX-License-Identifier: MIT */
/*
 * Little-endian integers from a byte buffer, for every layer that decodes
 * what a dump holds (kdump headers, printk records, kernel structures read
 * whole).  The dumps ktriage reads are little-endian, and so is x86-64,
 * where it runs; memcpy keeps an unaligned read defined.  The caller has
 * checked that the bytes lie inside its buffer.
 */
#ifndef KTRIAGE_BYTES_H
#define KTRIAGE_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* An unsigned integer of size bytes (1..8; more reads 8), zero-extended. */
static inline uint64_t kt_le_uint(const void *p, size_t size)
{
	uint64_t v = 0;
	memcpy(&v, p, size < sizeof(v) ? size : sizeof(v));
	return v;
}

static inline uint16_t kt_le16(const void *p)
{
	return (uint16_t)kt_le_uint(p, 2);
}

static inline uint32_t kt_le32(const void *p)
{
	return (uint32_t)kt_le_uint(p, 4);
}

static inline uint64_t kt_le64(const void *p)
{
	return kt_le_uint(p, 8);
}

#endif
