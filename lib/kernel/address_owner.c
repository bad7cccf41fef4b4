// SPDX-License-Identifier: MIT
/*
 * What holds an address, as crash's `kmem ADDRESS` answers: the symbol of
 * the kernel image or a module, the slab object (with its slab's counts
 * and whether the object is free), the task whose task_struct or kernel
 * stack it is in, and its struct page.  Each part is found or left empty
 * on its own: a damaged page table or memory map costs only that part.
 */
#include <byteswap.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "slab.h"

#define MAX_FREE_OBJECTS 32768

static bool symbol_value(struct kt_kernel *k, const char *name, uint64_t *value)
{
	uint64_t address;
	struct kt_error *err = kt_symbol_address(k, name, &address);
	if (!err)
		err = kt_kernel_read_u64(k, address, value);
	kt_error_free(err);
	return !err;
}

static void find_region(struct kt_kernel *k, struct kt_address_owner *o)
{
	uint64_t text, end, vmalloc;
	struct kt_error *err = kt_symbol_address(k, "_text", &text);
	if (!err)
		err = kt_symbol_address(k, "_end", &end);
	bool image = !err && o->address >= text && o->address < end;
	kt_error_free(err);
	const struct kt_module *m = kt_module_at(k, o->address);
	if (image)
		snprintf(o->region, sizeof(o->region), "kernel image");
	else if (m)
		snprintf(o->region, sizeof(o->region), "module");
	else if (o->readable && kt_kernel_phys_to_virt(k, o->physical) == o->address)
		snprintf(o->region, sizeof(o->region), "direct map");
	else if (symbol_value(k, "vmalloc_base", &vmalloc) && o->address >= vmalloc &&
		 o->address - vmalloc < (32ull << 40))
		snprintf(o->region, sizeof(o->region), "vmalloc");
	if (m)
		snprintf(o->module, sizeof(o->module), "%s", m->name);
	if (!image && !m)
		return;
	struct kt_symbol s;
	uint64_t offset;
	err = kt_symbol_at(k, o->address, &s, &offset);
	if (!err) {
		if (offset)
			snprintf(o->symbol, sizeof(o->symbol), "%s+%llu", s.name,
				 (unsigned long long)offset);
		else
			snprintf(o->symbol, sizeof(o->symbol), "%s", s.name);
		o->symbol_type = s.type;
	}
	kt_error_free(err);
}

/*
 * Is object on the free list starting at head (pointers decoded)?  *length,
 * when not NULL, gets the list's length.
 */
static bool on_freelist(struct kt_kernel *k, uint64_t cache, uint64_t head,
			uint64_t object, uint64_t *length)
{
	uint64_t offset, random = 0;
	bool hardened = kt_type_has_member(k, "struct kmem_cache", "random");
	if (!kt_try_member(k, cache, "struct kmem_cache", "offset", &offset) ||
	    (hardened && !kt_try_member(k, cache, "struct kmem_cache", "random", &random)))
		return false;
	uint64_t p = head;
	bool found = false;
	if (length)
		*length = 0;
	for (unsigned n = 0; p && n < MAX_FREE_OBJECTS; n++) {
		found |= p == object;
		if (length)
			*length = n + 1;
		uint64_t stored;
			struct kt_error *err = kt_kernel_read_u64(k, p + offset, &stored);
		if (err) {
			kt_error_free(err);
			return found;
		}
		p = hardened ? stored ^ random ^ bswap_64(p + offset) : stored;
	}
	return found;
}

/*
 * Free: on its slab's free list, or on the lockless list of the CPU using
 * it; the objects on that CPU list are free too, though the slab's inuse
 * counts them, so *cpu_free gets their number.
 */
static bool object_is_free(struct kt_kernel *k, const struct kt_address_owner *o,
			   const char *slab_type, uint64_t *cpu_free)
{
	uint64_t freelist = 0, percpu, c, slab, cpu_freelist;
	*cpu_free = 0;
	bool on_slab_list = kt_try_member(k, o->slab, slab_type, "freelist", &freelist) &&
			    on_freelist(k, o->kmem_cache, freelist, o->object, NULL);
	if (!kt_try_member(k, o->kmem_cache, "struct kmem_cache", "cpu_slab", &percpu))
		return on_slab_list;
	const char *slab_member = kt_type_has_member(k, "struct kmem_cache_cpu", "slab")
					  ? "slab" : "page";
	for (unsigned cpu = 0; cpu < kt_kernel_nr_cpus(k); cpu++) {
		struct kt_error *err = kt_kernel_per_cpu(k, percpu, cpu, &c);
		kt_error_free(err);
		if (!err && kt_try_member(k, c, "struct kmem_cache_cpu", slab_member, &slab) &&
		    slab == o->slab &&
		    kt_try_member(k, c, "struct kmem_cache_cpu", "freelist", &cpu_freelist))
			return on_freelist(k, o->kmem_cache, cpu_freelist, o->object, cpu_free) ||
			       on_slab_list;
	}
	return on_slab_list;
}

static void find_slab(struct kt_kernel *k, struct kt_address_owner *o)
{
	struct kt_slab_object s;
	if (!kt_slab_object_at(k, o->address, &s))
		return;
	const char *slab_type = kt_type_has_member(k, "struct slab", "objects")
					? "struct slab" : "struct page";
	snprintf(o->slab_cache, sizeof(o->slab_cache), "%s", s.cache);
	o->kmem_cache = s.kmem_cache;
	o->slab = s.slab;
	o->slab_memory = s.memory;
	o->object = s.object;
	o->object_offset = s.offset;
	o->object_size = s.size;
	kt_try_member(k, s.slab, slab_type, "objects", &o->slab_objects);
	kt_try_member(k, s.slab, slab_type, "inuse", &o->slab_inuse);
	uint64_t cpu_free;
	o->object_free = object_is_free(k, o, slab_type, &cpu_free);
	o->slab_inuse -= cpu_free < o->slab_inuse ? cpu_free : o->slab_inuse;
}

static void find_task(struct kt_kernel *k, struct kt_address_owner *o)
{
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	if (err) {
		kt_error_free(err);
		return;
	}
	uint64_t size = kt_kernel_thread_size(k);
	for (size_t i = 0; i < count; i++) {
		const struct kt_task *t = &tasks[i];
		bool in_stack = t->stack && o->address >= t->stack &&
				o->address - t->stack < size;
		if (in_stack || (o->object && o->object == t->address) ||
		    o->address == t->address) {
			o->task_pid = t->pid;
			o->task = t->address;
			o->in_stack = in_stack;
			o->stack = t->stack;
			o->stack_size = size;
			return;
		}
	}
}

static void find_page(struct kt_kernel *k, struct kt_address_owner *o)
{
	uint64_t vmemmap, page_size, count = 0;
	struct kt_error *err = kt_type_sizeof(k, "struct page", &page_size);
	kt_error_free(err);
	if (err || !o->readable || !symbol_value(k, "vmemmap_base", &vmemmap))
		return;
	uint64_t page = vmemmap + o->physical / k->page_size * page_size;
	if (!kt_try_member(k, page, "struct page", "flags", &o->page_flags))
		return;
	o->page = page;
	kt_try_member(k, page, "struct page", "mapping", &o->page_mapping);
	kt_try_member(k, page, "struct page", "index", &o->page_index);
	kt_try_member(k, page, "struct page", "_refcount.counter", &count);
	o->page_count = (int32_t)count;
}

struct kt_error *kt_address_owner(struct kt_kernel *k, uint64_t address,
				  struct kt_address_owner *out)
{
	memset(out, 0, sizeof(*out));
	out->address = address;
	out->task_pid = -1;
	struct kt_error *err = kt_kernel_need_symbols(k);
	if (err)
		return kt_error_wrap(err, "kmem 0x%llx", (unsigned long long)address);
	err = kt_kernel_translate(k, address, &out->physical);
	out->readable = !err;
	kt_error_free(err);
	find_region(k, out);
	if (out->readable && !strcmp(out->region, "direct map"))
		find_slab(k, out);
	find_task(k, out);
	find_page(k, out);
	if (!out->readable && !out->symbol[0] && out->task_pid < 0)
		return kt_error_create(KT_ERR_NOT_FOUND,
				       "0x%llx is no kernel address the dump maps",
				       (unsigned long long)address);
	return NULL;
}
