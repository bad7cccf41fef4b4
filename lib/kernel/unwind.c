// SPDX-License-Identifier: MIT
/*
 * What every architecture's unwinder shares: where a task's stack starts
 * (its CPU's saved registers when it was running, else what its last
 * context switch left), the frames with their symbols, and the bounds.
 * How to get from one frame to the next is the architecture's (ORC on
 * x86-64 in stack.c, frame records on arm64 in stack_arm64.c).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct kt_error *kt_stack_add_frame(struct kt_kernel *k, struct kt_stack *s,
				    uint64_t pc, uint64_t sp, bool exact,
				    bool reliable, const struct kt_regs *regs)
{
	if (s->count >= KT_MAX_FRAMES)
		return kt_error_create(KT_ERR_INVALID, "more than %d frames", KT_MAX_FRAMES);
	struct kt_frame *n = realloc(s->frames, (s->count + 1) * sizeof(*n));
	if (!n)
		return &kt_error_out_of_memory;
	s->frames = n;
	struct kt_frame *f = &n[s->count++];
	memset(f, 0, sizeof(*f));
	f->pc = pc;
	f->sp = sp;
	f->reliable = reliable;
	f->exception = regs != NULL;
	if (regs)
		f->regs = *regs;
	struct kt_symbol sym;
	uint64_t offset;
	/* A return address may be just past a call at a function's end. */
	uint64_t lookup = exact ? pc : pc - 1;
	struct kt_error *err = kt_symbol_at(k, lookup, &sym, &offset);
	if (!err) {
		f->function = sym.name;
		f->offset = pc - sym.address;
		f->module = sym.module;
	}
	kt_error_free(err);
	return NULL;
}

/* A task on a CPU: the registers that CPU saved, when the dump has them. */
static bool registers_on_cpu(struct kt_kernel *k, const struct kt_task *task,
			     struct kt_regs *regs)
{
	if (!task->on_cpu || task->cpu < 0 || kt_task_current(k, (unsigned)task->cpu) != task)
		return false;
	return kt_cpu_registers(k, (unsigned)task->cpu, regs);
}

struct kt_error *kt_stack_unwind(struct kt_kernel *k, const struct kt_task *task,
				 struct kt_stack **out)
{
	struct kt_stack *stack = calloc(1, sizeof(*stack));
	if (!stack)
		return &kt_error_out_of_memory;
	struct kt_regs regs;
	struct kt_error *err;
	if (registers_on_cpu(k, task, &regs)) {
		stack->start = "registers saved by its CPU (NT_PRSTATUS)";
		err = k->arch->unwind_regs(k, &regs, stack);
	} else {
		err = k->arch->unwind_saved(k, task, stack);
	}
	if (err) {
		kt_stack_free(stack);
		return err;
	}
	*out = stack;
	return NULL;
}

struct kt_error *kt_stack_unwind_cpu(struct kt_kernel *k, unsigned cpu,
				     struct kt_stack **out)
{
	struct kt_regs r;
	if (!kt_cpu_registers(k, cpu, &r))
		return kt_error_create(KT_ERR_NOT_FOUND,
				       "CPU %u: no registers saved in the dump", cpu);
	struct kt_stack *stack = calloc(1, sizeof(*stack));
	if (!stack)
		return &kt_error_out_of_memory;
	stack->start = "registers saved by its CPU (NT_PRSTATUS)";
	struct kt_error *err = k->arch->unwind_regs(k, &r, stack);
	if (err) {
		kt_stack_free(stack);
		return err;
	}
	*out = stack;
	return NULL;
}

void kt_stack_free(struct kt_stack *stack)
{
	if (!stack)
		return;
	free(stack->frames);
	kt_damage_free(stack->damage);
	free(stack);
}

const char *kt_stack_error(const struct kt_stack *stack)
{
	const struct kt_damage_entry *first = kt_damage_at(stack->damage, 0);
	return first ? first->message : "";
}
