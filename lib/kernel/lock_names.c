// SPDX-License-Identifier: MIT
/*
 * Naming what a lock is and who a task is: the symbol a lock is (module
 * data as "name [module]"), else the stack or task_struct it lies in, else
 * its slab object ("mm_struct+0x78"); a task_struct's pid; whether an
 * address is on a task's stack.
 */
#include <stdio.h>
#include <string.h>

#include "locks.h"
#include "object_names.h"
#include "slab.h"

int32_t kt_lock_task_pid(struct kt_kernel *k, uint64_t task)
{
	const struct kt_task *t = task ? kt_task_by_address(k, task) : NULL;
	return t ? t->pid : -1;
}

bool kt_lock_task_list_known(struct kt_kernel *k)
{
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	kt_error_free(err);
	return !err && count > 0;
}

uint64_t kt_lock_read_word(struct kt_kernel *k, uint64_t address, bool *ok)
{
	uint64_t value = 0;
	struct kt_error *err = kt_kernel_read_u64(k, address, &value);
	if (err) {
		kt_error_free(err);
		*ok = false;
		return 0;
	}
	return value;
}

bool kt_lock_on_task_stack(struct kt_kernel *k, const struct kt_lock_layout *l,
			   uint64_t task, uint64_t addr)
{
	bool ok = true;
	uint64_t stack = kt_lock_read_word(k, task + l->task_stack, &ok);
	return ok && stack && addr >= stack && addr - stack < l->thread_size;
}

/* Locks with no symbol: on whose stack, or inside whose task_struct;
 * failing both, in which slab object (kt_lock_name). */
static bool name_by_task(struct kt_kernel *k, const struct kt_lock_layout *l,
			 uint64_t address, char *buf, size_t size)
{
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	if (err) {
		kt_error_free(err);
		return false;
	}
	uint64_t task_size = l->task_size;
	for (size_t i = 0; i < count; i++) {
		const struct kt_task *t = &tasks[i];
		if (t->stack && address >= t->stack &&
		    address - t->stack < l->thread_size) {
			snprintf(buf, size, "on the stack of pid %d", t->pid);
			return true;
		}
		if (address >= t->address && address - t->address < task_size) {
			char member[64];
			kt_object_task_member(k, address - t->address, member, sizeof(member));
			if (member[0])
				snprintf(buf, size, "%s of task_struct of pid %d (%s)", member,
					 t->pid, t->comm);
			else
				snprintf(buf, size, "task_struct of pid %d +0x%llx", t->pid,
					 (unsigned long long)(address - t->address));
			return true;
		}
	}
	return false;
}

void kt_lock_name(struct kt_kernel *k, const struct kt_lock_layout *l,
		  uint64_t address, char *buf, size_t size)
{
	struct kt_symbol sym;
	uint64_t offset;
	buf[0] = '\0';
	struct kt_error *err = kt_symbol_at(k, address, &sym, &offset);
	if (err) {
		kt_error_free(err);
		struct kt_slab_object o;
		if (name_by_task(k, l, address, buf, size))
			return;
		bool in_slab = kt_slab_object_at(k, address, &o);
		if (kt_object_name(k, address, in_slab ? &o : NULL, buf, size))
			return;
		if (in_slab)
			snprintf(buf, size, "%s+0x%llx (object 0x%llx)", o.cache,
				 (unsigned long long)o.offset, (unsigned long long)o.object);
		return;
	}
	char off[32] = "";
	if (offset)
		snprintf(off, sizeof(off), "+0x%llx", (unsigned long long)offset);
	if (sym.module)
		snprintf(buf, size, "%s%s [%s]", sym.name, off, sym.module);
	else
		snprintf(buf, size, "%s%s", sym.name, off);
}
