// SPDX-License-Identifier: MIT
/*
 * Kernel stacks of arm64 tasks, from the chain of frame records
 * (arch/arm64/kernel/stacktrace.c): arm64 kernels keep frame pointers, and
 * each function's prologue stores {x29, x30} and points x29 at them.  The
 * return addresses carry pointer-authentication bits (KERNELPACMASK),
 * cleared before use.
 *
 * An exception entry from EL1 stores a record inside its struct pt_regs:
 * {x29, elr} until 6.12, {0, 0} and type PT_REGS from 6.13 (struct
 * frame_record_meta).  Either way the frame is taken from the pt_regs (an
 * exact pc and its registers), as is the link register when the
 * interrupted function had not saved it yet (a leaf, or a prologue).  The
 * chain ends at a record of zeros: the pt_regs at the top of the task's
 * stack, holding the user registers when it came from EL0.  IRQ and
 * overflow stacks need nothing special: call_on_irq_stack links its record
 * to the task's stack, and a move to another stack is allowed a few times.
 *
 * Every word is read through the reader and checked: records must be
 * aligned, return addresses must be text, and the walk is bounded.
 */
#include <stdio.h>
#include <string.h>

#include "arch_arm64.h"

#define MAX_STACK_SWITCHES 6
#define PT_REGS_WORDS 34          /* x0-x30, sp, pc, pstate */
#define PSR_EL_MASK 0xcull        /* pstate.M[3:2]: the exception level */
#define META_TYPE_FINAL 1
#define META_TYPE_PT_REGS 2

struct walk {
	const struct kt_arm64_unwinder *u;
	struct kt_arm64_unwind_result *result;
	uint64_t fp;
	int switches;
	struct kt_regs regs;      /* of the last exception frame */
};

static bool read_word(struct walk *w, uint64_t address, uint64_t *value)
{
	struct kt_error *err = w->u->read(w->u->context, address, value);
	kt_error_free(err);
	return !err;
}

static bool fail(struct walk *w, const char *why, uint64_t address)
{
	w->result->partial = true;
	snprintf(w->result->error, sizeof(w->result->error), "%s 0x%llx", why,
		 (unsigned long long)address);
	return false;
}

static bool emit(struct walk *w, uint64_t pc, uint64_t sp, bool exact,
		 bool reliable, const struct kt_regs *regs)
{
	struct kt_arm64_frame f = { pc, sp, exact, reliable, regs };
	struct kt_error *err = w->u->frame(w->u->context, &f);
	if (!err)
		return true;
	w->result->partial = true;
	snprintf(w->result->error, sizeof(w->result->error), "%s", kt_error_string(err));
	kt_error_free(err);
	return false;
}

static bool read_regs(struct walk *w, uint64_t address, struct kt_regs *regs)
{
	uint64_t words[PT_REGS_WORDS];
	for (unsigned i = 0; i < PT_REGS_WORDS; i++)
		if (!read_word(w, address + i * 8, &words[i]))
			return false;
	kt_arm64_regs_from_words(words, regs);
	return true;
}

/*
 * A function interrupted before it stored its record (a leaf, a prologue)
 * still has its return address in x30 only.  It is the caller's when it is
 * text in another function than pc's and not the return address the
 * record at x29 already gives (then x29's function is that caller's).
 */
static bool pending_link(struct walk *w, const struct kt_regs *regs)
{
	const struct kt_arm64_unwinder *u = w->u;
	uint64_t lr = kt_arm64_strip_pac(regs->x[30], u->pac_mask), recorded = 0;
	if (!u->is_text(u->context, lr))
		return true;
	uint64_t function = u->function_start(u->context, lr - 1);
	if (!function || function == u->function_start(u->context, regs->ip))
		return true;
	if (regs->x[29] && read_word(w, regs->x[29] + 8, &recorded) &&
	    kt_arm64_strip_pac(recorded, u->pac_mask) == lr)
		return true;
	return emit(w, lr, regs->sp, false, true, NULL);
}

/* The frame an exception left: its pc, then its pending link register. */
static bool exception_frame(struct walk *w, uint64_t regs_address)
{
	if (!read_regs(w, regs_address, &w->regs))
		return fail(w, "unreadable pt_regs at", regs_address);
	if (!emit(w, w->regs.ip, w->regs.sp, true, true, &w->regs))
		return false;
	return pending_link(w, &w->regs);
}

static bool user_mode(const struct kt_regs *regs)
{
	return (regs->pstate & PSR_EL_MASK) == 0;
}

/* A record of zeros: the end, or (6.13+) a pt_regs the entry code marked. */
static bool zero_record(struct walk *w, bool *go_on)
{
	const struct kt_arm64_unwinder *u = w->u;
	uint64_t regs_address = w->fp - u->layout.stackframe, type = 0;
	*go_on = false;
	if (u->layout.meta_type && read_word(w, w->fp + u->layout.meta_type, &type) &&
	    type == META_TYPE_PT_REGS) {
		*go_on = true;
		if (!exception_frame(w, regs_address))
			return false;
		w->fp = w->regs.x[29];
		return true;
	}
	struct kt_regs regs;
	if (read_regs(w, regs_address, &regs) && user_mode(&regs) && regs.ip &&
	    (regs.ip >> u->va_bits) == 0) {
		w->result->user_regs = true;
		w->result->user = regs;
	}
	return true;
}

/* Until 6.13: is the record at fp the {x29, elr} inside a pt_regs? */
static bool in_pt_regs(struct walk *w, const struct kt_arm64_frame_record *r)
{
	struct kt_regs regs;
	uint64_t regs_address = w->fp - w->u->layout.stackframe;
	return w->fp >= w->u->layout.stackframe &&
	       read_regs(w, regs_address, &regs) && !user_mode(&regs) &&
	       regs.ip == r->lr && regs.x[29] == r->fp;
}

/* Records live on one stack in increasing order; a jump is a stack switch. */
static bool plausible_next(struct walk *w, uint64_t next)
{
	if (next > w->fp && next - w->fp < w->u->thread_size)
		return true;
	return next != w->fp && ++w->switches <= MAX_STACK_SWITCHES;
}

static bool step(struct walk *w, bool *done)
{
	const struct kt_arm64_unwinder *u = w->u;
	*done = !w->fp;
	if (*done)
		return true;
	if (w->fp & 7)
		return fail(w, "misaligned frame record at", w->fp);
	struct kt_arm64_frame_record r;
	if (!read_word(w, w->fp, &r.fp) || !read_word(w, w->fp + 8, &r.lr))
		return fail(w, "unreadable frame record at", w->fp);
	if (!r.fp && !r.lr) {
		bool go_on;
		if (!zero_record(w, &go_on))
			return false;
		*done = !go_on;
		return true;
	}
	uint64_t lr = kt_arm64_strip_pac(r.lr, u->pac_mask);
	if (in_pt_regs(w, &r)) {
		if (!exception_frame(w, w->fp - u->layout.stackframe))
			return false;
	} else {
		if (!u->is_text(u->context, lr))
			return fail(w, "not kernel text: return address", lr);
		if (!emit(w, lr, w->fp + 16, false, true, NULL))
			return false;
	}
	if (r.fp && !plausible_next(w, r.fp))
		return fail(w, "back down the stack: frame record at", w->fp);
	w->fp = r.fp;
	return true;
}

void kt_arm64_unwind(const struct kt_arm64_unwinder *u, const struct kt_regs *regs,
		     uint64_t pc, uint64_t sp, uint64_t fp,
		     struct kt_arm64_unwind_result *result)
{
	memset(result, 0, sizeof(*result));
	struct walk w = { .u = u, .result = result, .fp = fp };
	if (regs) {
		if (!emit(&w, regs->ip, regs->sp, true, true, regs) || !pending_link(&w, regs))
			return;
		w.fp = regs->x[29];
	} else if (!emit(&w, kt_arm64_strip_pac(pc, u->pac_mask), sp, false, true, NULL)) {
		return;
	}
	/* Each step gives a frame or ends; the frame callback bounds the count. */
	for (unsigned steps = 0; steps < 4 * KT_MAX_FRAMES; steps++) {
		bool done;
		if (!step(&w, &done) || done)
			return;
	}
	fail(&w, "too many steps; stopped at frame record", w.fp);
}

/* ---- The kernel's side: symbols, memory and struct kt_stack --------- */

struct glue {
	struct kt_kernel *k;
	struct kt_stack *stack;
};

static struct kt_error *glue_read(void *context, uint64_t address, uint64_t *value)
{
	return kt_kernel_read_u64(((struct glue *)context)->k, address, value);
}

static bool glue_is_text(void *context, uint64_t address)
{
	return kt_symbol_is_text(((struct glue *)context)->k, address);
}

static uint64_t glue_function_start(void *context, uint64_t address)
{
	struct kt_symbol sym;
	uint64_t offset;
	struct kt_error *err = kt_symbol_at(((struct glue *)context)->k, address, &sym, &offset);
	kt_error_free(err);
	return err ? 0 : sym.address;
}

static struct kt_error *glue_frame(void *context, const struct kt_arm64_frame *f)
{
	struct glue *g = context;
	return kt_stack_add_frame(g->k, g->stack, f->pc, f->sp, f->exact, f->reliable, f->regs);
}

/* struct pt_regs from BTF; without types, 6.1's layout. */
static void pt_regs_layout(struct kt_kernel *k, struct kt_arm64_pt_regs_layout *l)
{
	uint64_t type;
	l->size = 336;
	l->stackframe = 304;
	l->meta_type = 0;
	struct kt_error *err = kt_type_sizeof(k, "struct pt_regs", &l->size);
	if (!err)
		err = kt_type_offsetof(k, "struct pt_regs", "stackframe", &l->stackframe);
	kt_error_free(err);
	err = kt_type_offsetof(k, "struct pt_regs", "stackframe.type", &type);
	if (!err && type > l->stackframe)
		l->meta_type = type - l->stackframe;
	kt_error_free(err);
}

static struct kt_error *run(struct kt_kernel *k, struct kt_stack *stack,
			    const struct kt_regs *regs, uint64_t pc, uint64_t sp,
			    uint64_t fp)
{
	struct glue g = { k, stack };
	struct kt_arm64_unwinder u = {
		.read = glue_read, .is_text = glue_is_text,
		.function_start = glue_function_start, .frame = glue_frame,
		.context = &g, .pac_mask = kt_arm64_pac_mask(k),
		.thread_size = kt_kernel_thread_size(k),
		.va_bits = kt_arm64_va_bits(k),
	};
	pt_regs_layout(k, &u.layout);
	struct kt_arm64_unwind_result result;
	kt_arm64_unwind(&u, regs, pc, sp, fp, &result);
	stack->partial = result.partial;
	if (result.error[0])
		kt_damage_add(&stack->damage, KT_ERR_INVALID, sp, "%s", result.error);
	stack->user_regs = result.user_regs;
	stack->user = result.user;
	return NULL;
}

struct kt_error *kt_arm64_unwind_regs(struct kt_kernel *k, const struct kt_regs *regs,
				      struct kt_stack *stack)
{
	return run(k, stack, regs, 0, 0, 0);
}

/* A sleeping task: cpu_switch_to saved pc, sp and fp in thread.cpu_context. */
struct kt_error *kt_arm64_unwind_saved(struct kt_kernel *k, const struct kt_task *task,
				       struct kt_stack *stack)
{
	static const char *const type = "struct task_struct";
	uint64_t pc, sp, fp;
	struct kt_error *err = kt_read_member_u64(k, task->address, type, "thread.cpu_context.pc", &pc);
	if (!err)
		err = kt_read_member_u64(k, task->address, type, "thread.cpu_context.sp", &sp);
	if (!err)
		err = kt_read_member_u64(k, task->address, type, "thread.cpu_context.fp", &fp);
	if (err)
		return kt_error_wrap(err, "pid %d: saved context", task->pid);
	stack->start = "saved context (thread.cpu_context)";
	return run(k, stack, NULL, pc, sp, fp);
}
