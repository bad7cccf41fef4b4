/* SPDX-License-Identifier: MIT */
/*
 * One kt_layouts per kernel (layouts.c): where the members every reader of
 * kernel structures needs are in this kernel, derived from the types once
 * and kept until the kernel is closed.  Each part is built the first time
 * it is asked for (the task layout needs symbols as well as types; dmesg
 * needs neither), and never again.  Not a public header.
 */
#ifndef KTRIAGE_KERNEL_LAYOUTS_H
#define KTRIAGE_KERNEL_LAYOUTS_H

#include "internal.h"

/* An integer or pointer member: size 0 when this kernel has none. */
struct kt_field {
	uint32_t offset, size;
};

/* struct list_head: where its two pointers are. */
struct kt_list_head_layout {
	uint64_t next, prev;
};
struct kt_list_head_layout kt_layouts_list_head(struct kt_kernel *kernel);

/*
 * struct pt_regs by register member name, in the order the architecture
 * gives the names (its struct kt_regs order): found[i] is false where the
 * types have no such member (or no types at all), and the architecture
 * then falls back on its ABI.  Built by the first caller's names.
 */
#define KT_MAX_REGS 40
struct kt_regs_layout {
	size_t count;
	uint64_t offset[KT_MAX_REGS];
	bool found[KT_MAX_REGS];
};
const struct kt_regs_layout *kt_layouts_pt_regs(struct kt_kernel *kernel,
						const char *const *names,
						size_t count);

/* A module's own ORC tables: struct module's arch.num_orcs and pointers. */
struct kt_orc_module_layout {
	bool ok;  /* false without types or without those members */
	struct kt_field num_orcs, orc_unwind_ip, orc_unwind;
};
const struct kt_orc_module_layout *kt_layouts_orc_module(struct kt_kernel *kernel);

/* struct task_struct and the runqueue (task_layout.h); the error, when
 * there is one, is a fresh copy each time. */
struct kt_task_layout;
struct kt_error *kt_layouts_task(struct kt_kernel *kernel,
				 const struct kt_task_layout **out);

/* The lock kinds' offsets (locks.h); kinds the types lack are unusable. */
struct kt_lock_layout;
const struct kt_lock_layout *kt_layouts_lock(struct kt_kernel *kernel);

/* One integer or pointer member, read at base through its kt_field. */
struct kt_error *kt_field_read(struct kt_kernel *kernel, uint64_t base,
			       struct kt_field field, uint64_t *value);

/* The kernel's concern row (concerns.c). */
void kt_layouts_destroy(struct kt_kernel *kernel);

#endif
