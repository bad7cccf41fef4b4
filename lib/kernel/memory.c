// SPDX-License-Identifier: MIT
/* Reading kernel virtual memory: translate page by page, then read. */
#include <string.h>

#include "internal.h"

struct kt_error *kt_kernel_translate(struct kt_kernel *k, uint64_t vaddr,
				     uint64_t *paddr)
{
	return k->arch->translate(k, vaddr, paddr);
}

struct kt_error *kt_kernel_read(struct kt_kernel *k, uint64_t vaddr,
				void *buf, size_t len)
{
	uint8_t *out = buf;
	while (len) {
		size_t in_page = k->page_size - (size_t)(vaddr % k->page_size);
		size_t chunk = len < in_page ? len : in_page;
		uint64_t paddr;
		struct kt_error *err = kt_kernel_translate(k, vaddr, &paddr);
		if (!err)
			err = kt_dump_read_phys(k->dump, paddr, out, chunk);
		if (err)
			return kt_error_wrap(err, "reading 0x%llx",
					     (unsigned long long)vaddr);
		out += chunk;
		vaddr += chunk;
		len -= chunk;
	}
	return NULL;
}

struct kt_error *kt_kernel_read_u64(struct kt_kernel *k, uint64_t vaddr,
				    uint64_t *value)
{
	return kt_kernel_read(k, vaddr, value, sizeof(*value));
}

struct kt_error *kt_kernel_read_u32(struct kt_kernel *k, uint64_t vaddr,
				    uint32_t *value)
{
	return kt_kernel_read(k, vaddr, value, sizeof(*value));
}

struct kt_error *kt_kernel_read_string(struct kt_kernel *k, uint64_t vaddr,
				       char *buf, size_t size)
{
	if (!size)
		return NULL;
	size_t got = 0;
	while (got < size - 1) {
		size_t in_page = k->page_size - (size_t)(vaddr % k->page_size);
		size_t chunk = size - 1 - got < in_page ? size - 1 - got : in_page;
		struct kt_error *err = kt_kernel_read(k, vaddr, buf + got, chunk);
		if (err) {
			buf[got] = '\0';
			return err;
		}
		char *nul = memchr(buf + got, '\0', chunk);
		if (nul)
			return NULL;
		got += chunk;
		vaddr += chunk;
	}
	buf[got] = '\0';
	return NULL;
}

uint64_t kt_kernel_phys_to_virt(struct kt_kernel *k, uint64_t paddr)
{
	kt_error_free(kt_kernel_need_symbols(k)); /* page_offset_base */
	return k->arch->phys_to_virt(k, paddr);
}

bool kt_kernel_is_kernel_address(const struct kt_kernel *k, uint64_t vaddr)
{
	return k->arch->is_kernel_address(k, vaddr);
}
