// SPDX-License-Identifier: MIT
/*
 * Which NT_PRSTATUS note belongs to which CPU.  The notes are written in
 * CPU order, but a CPU that saved nothing leaves no note, and QEMU stores
 * vCPU numbers where the kernel stores pids.  So a note is matched first
 * by its stack pointer lying on the kernel stack of the task current on a
 * CPU, and only then by its position.
 */
#include <string.h>

#include "internal.h"

static void note_registers(const struct kt_prstatus *p, struct kt_regs *regs)
{
	memset(regs, 0, sizeof(*regs));
	size_t n = p->regs_size < sizeof(*regs) ? p->regs_size : sizeof(*regs);
	/* user_regs_struct starts with the same 21 registers as struct kt_regs. */
	memcpy(regs, p->regs, n);
}

static bool on_stack_of(struct kt_kernel *k, const struct kt_task *task, uint64_t sp)
{
	return task && task->stack && sp >= task->stack &&
	       sp - task->stack < kt_kernel_thread_size(k);
}

bool kt_cpu_registers(struct kt_kernel *k, unsigned cpu, struct kt_regs *regs)
{
	struct kt_dump *dump = k->dump;
	size_t count = kt_dump_prstatus_count(dump);
	const struct kt_task *current = kt_task_current(k, cpu);
	for (size_t i = 0; i < count; i++) {
		note_registers(kt_dump_prstatus(dump, i), regs);
		if (on_stack_of(k, current, regs->sp))
			return true;
	}
	/* No stack matched: trust the order, unless it matched another CPU. */
	if (cpu >= count)
		return false;
	note_registers(kt_dump_prstatus(dump, cpu), regs);
	for (unsigned other = 0; other < kt_kernel_nr_cpus(k); other++)
		if (other != cpu && on_stack_of(k, kt_task_current(k, other), regs->sp))
			return false;
	return true;
}
