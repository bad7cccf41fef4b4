// SPDX-License-Identifier: MIT
/*
 * The kernel's layouts, one set per kernel (layouts.h): each part looked
 * up by member name the first time a reader asks, kept, and given to every
 * later reader, so no walk, frame or lock looks a member up again.
 *
 * THREAD_SIZE is a #define, absent from the types (16 KiB on x86-64, 32
 * KiB with KASAN): the init task's stack spans exactly one, from
 * __start_init_task to __end_init_task, so the kernel says it itself.
 */
#include <stdlib.h>
#include <string.h>

#include "ktriage/base.h"
#include "layouts.h"
#include "locks.h"
#include "task_layout.h"

#define DEFAULT_THREAD_SIZE (16u << 10)
#define MAX_THREAD_SIZE (64u << 10)

struct kt_layouts {
	uint64_t thread_size;  /* 0 until asked */
	bool list_head_built, regs_built, orc_module_built, task_built, lock_built;
	struct kt_list_head_layout list_head;
	struct kt_regs_layout regs;
	struct kt_orc_module_layout orc_module;
	struct kt_task_layout task;
	struct kt_error *task_error;
	struct kt_lock_layout lock;
};

/* NULL only when memory ran out: each accessor then answers as without types. */
static struct kt_layouts *layouts(struct kt_kernel *k)
{
	if (!k->layouts)
		k->layouts = calloc(1, sizeof(*k->layouts));
	return k->layouts;
}

void kt_layouts_destroy(struct kt_kernel *k)
{
	if (!k->layouts)
		return;
	kt_error_free(k->layouts->task_error);
	free(k->layouts);
	k->layouts = NULL;
}

/* Without the init task's bounds: the architecture's usual size. */
static uint64_t default_thread_size(const struct kt_kernel *k)
{
	if (k->arch && k->arch->default_thread_size)
		return k->arch->default_thread_size(k);
	return DEFAULT_THREAD_SIZE;
}

static uint64_t derive_thread_size(struct kt_kernel *k)
{
	uint64_t start, end;
	struct kt_error *err = kt_symbol_address(k, "__start_init_task", &start);
	if (!err)
		err = kt_symbol_address(k, "__end_init_task", &end);
	kt_error_free(err);
	if (!err && end > start && end - start <= MAX_THREAD_SIZE &&
	    ((end - start) & (end - start - 1)) == 0)
		return end - start;
	return default_thread_size(k);
}

uint64_t kt_kernel_thread_size(struct kt_kernel *k)
{
	struct kt_layouts *l = layouts(k);
	if (!l)
		return default_thread_size(k);
	if (!l->thread_size)
		l->thread_size = derive_thread_size(k);
	return l->thread_size;
}

/*
 * A walk never loads the types itself: without them (dmesg, a page-table
 * fuzzer) it takes the layout list_head has always had, next then prev.
 */
struct kt_list_head_layout kt_layouts_list_head(struct kt_kernel *k)
{
	static const struct kt_list_head_layout fixed = { 0, sizeof(uint64_t) };
	struct kt_layouts *l = k->types ? layouts(k) : NULL;
	if (!l)
		return fixed;
	if (!l->list_head_built) {
		l->list_head_built = true;
		l->list_head = fixed;
		if (kt_error_catch(kt_type_offsetof(k, "struct list_head", "next",
						    &l->list_head.next)) ||
		    kt_error_catch(kt_type_offsetof(k, "struct list_head", "prev",
						    &l->list_head.prev)))
			l->list_head = fixed;
	}
	return l->list_head;
}

const struct kt_regs_layout *kt_layouts_pt_regs(struct kt_kernel *k,
						const char *const *names,
						size_t count)
{
	static const struct kt_regs_layout untyped = { 0 };
	struct kt_layouts *l = layouts(k);
	if (!l || count > KT_MAX_REGS)
		return &untyped;
	struct kt_regs_layout *r = &l->regs;
	if (!l->regs_built) {
		l->regs_built = true;
		r->count = count;
		for (size_t i = 0; i < count; i++) {
			struct kt_member m = { 0 };
			r->found[i] = kt_type_probe_member(k, "struct pt_regs",
							   names[i], &m);
			r->offset[i] = m.bit_offset / 8;
		}
	}
	return r->count == count ? r : &untyped;
}

/* A whole integer or pointer member (not a bitfield) as a kt_field. */
static bool find_field(struct kt_kernel *k, const char *type,
		       const char *member, struct kt_field *out)
{
	struct kt_member m;
	if (!kt_type_probe_member(k, type, member, &m) || m.bit_size || m.bit_offset % 8 ||
	    (m.size != 1 && m.size != 2 && m.size != 4 && m.size != 8))
		return false;
	*out = (struct kt_field){ (uint32_t)(m.bit_offset / 8), (uint32_t)m.size };
	return true;
}

const struct kt_orc_module_layout *kt_layouts_orc_module(struct kt_kernel *k)
{
	static const struct kt_orc_module_layout none = { 0 };
	struct kt_layouts *l = layouts(k);
	if (!l)
		return &none;
	struct kt_orc_module_layout *o = &l->orc_module;
	if (!l->orc_module_built) {
		l->orc_module_built = true;
		const char *mod = "struct module";
		o->ok = find_field(k, mod, "arch.num_orcs", &o->num_orcs) &&
			find_field(k, mod, "arch.orc_unwind_ip", &o->orc_unwind_ip) &&
			find_field(k, mod, "arch.orc_unwind", &o->orc_unwind);
	}
	return o;
}

struct kt_error *kt_field_read(struct kt_kernel *k, uint64_t base,
			       struct kt_field f, uint64_t *value)
{
	uint8_t raw[8];
	if (!f.size || f.size > sizeof(raw))
		return kt_error_create(KT_ERR_NOT_FOUND, "no such member");
	struct kt_error *err = kt_kernel_read(k, base + f.offset, raw, f.size);
	if (!err)
		*value = kt_le_uint(raw, f.size);
	return err;
}

struct kt_error *kt_layouts_task(struct kt_kernel *k,
				 const struct kt_task_layout **out)
{
	struct kt_layouts *l = layouts(k);
	if (!l)
		return &kt_error_out_of_memory;
	if (!l->task_built) {
		l->task_built = true;
		l->task_error = kt_task_layout_init(k, &l->task);
	}
	if (l->task_error)
		return kt_error_create(l->task_error->code, "%s",
				       l->task_error->message);
	*out = &l->task;
	return NULL;
}

const struct kt_lock_layout *kt_layouts_lock(struct kt_kernel *k)
{
	static struct kt_lock_layout unusable; /* every kind marked not ok */
	struct kt_layouts *l = layouts(k);
	if (!l) {
		unusable.thread_size = DEFAULT_THREAD_SIZE;
		return &unusable;
	}
	if (!l->lock_built) {
		l->lock_built = true;
		kt_lock_layout_load(k, &l->lock);
	}
	return &l->lock;
}
