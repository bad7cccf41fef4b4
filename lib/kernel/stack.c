// SPDX-License-Identifier: MIT
/*
 * Kernel stacks of x86-64 tasks, unwound with ORC as the kernel's own
 * unwinder does (arch/x86/kernel/unwind_orc.c): from each frame's ORC
 * entry find the previous stack pointer (CFA), then the return address
 * (CALL), or a struct pt_regs (REGS: an interrupt, exception or syscall
 * entry), and the caller's frame pointer.
 *
 * Where to start: a sleeping task from the inactive_task_frame its context
 * switch left at thread.sp; a task on a CPU from that CPU's NT_PRSTATUS
 * registers.  When ORC cannot go on, the rest of the stack is scanned for
 * text addresses and those frames are marked unreliable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layouts.h"

#define MAX_FRAMES 128
#define MAX_STACK_SWITCHES 6

struct unwind {
	struct kt_kernel *k;
	struct kt_stack *stack;
	uint64_t ip, sp, bp;
	bool signal;              /* ip is exact (not a return address) */
	bool have_regs, full_regs;
	struct kt_regs regs;      /* of the last pt_regs frame */
	uint64_t regs_addr;
	int switches;
	int resyncs;
};

static struct kt_error *add_frame(struct unwind *u, bool reliable)
{
	struct kt_stack *s = u->stack;
	if (s->count >= MAX_FRAMES)
		return kt_error_create(KT_ERR_INVALID, "more than %d frames", MAX_FRAMES);
	struct kt_frame *n = realloc(s->frames, (s->count + 1) * sizeof(*n));
	if (!n)
		return &kt_error_out_of_memory;
	s->frames = n;
	struct kt_frame *f = &n[s->count++];
	memset(f, 0, sizeof(*f));
	f->pc = u->ip;
	f->sp = u->sp;
	f->reliable = reliable;
	f->exception = u->signal && u->have_regs;
	if (f->exception)
		f->regs = u->regs;
	struct kt_symbol sym;
	uint64_t offset;
	/* A return address may be just past a call at a function's end. */
	uint64_t lookup = u->signal ? u->ip : u->ip - 1;
	struct kt_error *err = kt_symbol_at(u->k, lookup, &sym, &offset);
	if (!err) {
		f->function = sym.name;
		f->offset = u->ip - sym.address;
		f->module = sym.module;
	}
	kt_error_free(err);
	return NULL;
}

static bool read_word(struct unwind *u, uint64_t addr, uint64_t *value)
{
	struct kt_error *err = kt_kernel_read_u64(u->k, addr, value);
	kt_error_free(err);
	return !err;
}

/* struct pt_regs' members, in struct kt_regs order: the layout is looked
 * up by these names once per kernel (layouts.c). */
static const char *const pt_regs_names[] = {
	"r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax",
	"cx", "dx", "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss",
};
#define NR_PT_REGS (sizeof(pt_regs_names) / sizeof(pt_regs_names[0]))
#define PT_REGS_IP 16

static const struct kt_regs_layout *pt_regs_layout(struct kt_kernel *k)
{
	return kt_layouts_pt_regs(k, pt_regs_names, NR_PT_REGS);
}

/* The registers of a struct pt_regs in the dump, by their offsets. */
static bool read_pt_regs(struct unwind *u, uint64_t addr, bool full,
			 struct kt_regs *r)
{
	const struct kt_regs_layout *layout = pt_regs_layout(u->k);
	uint64_t *slots = &r->r15;
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < NR_PT_REGS; i++) {
		/* A partial frame has only the iret part: ip, cs, flags, sp, ss. */
		if (!full && i < PT_REGS_IP)
			continue;
		/* no types: the x86-64 ptrace ABI, in this order */
		uint64_t off = layout->found[i] ? layout->offset[i] : i * 8;
		if (!read_word(u, addr + off, &slots[i]))
			return false;
	}
	return true;
}

static bool get_reg(const struct unwind *u, enum kt_orc_reg reg, uint64_t *value)
{
	if (!u->have_regs || !u->full_regs)
		return false;
	switch (reg) {
	case KT_ORC_REG_DX:
		*value = u->regs.dx;
		return true;
	case KT_ORC_REG_DI:
		*value = u->regs.di;
		return true;
	case KT_ORC_REG_R10:
		*value = u->regs.r10;
		return true;
	case KT_ORC_REG_R13:
		*value = u->regs.r13;
		return true;
	default:
		return false;
	}
}

/* The previous frame's stack pointer (the CFA) from an ORC entry. */
static bool find_cfa(struct unwind *u, const struct kt_orc_entry *e, uint64_t *cfa)
{
	uint64_t sp;
	bool indirect = false;
	switch (e->sp_reg) {
	case KT_ORC_REG_SP:
		sp = u->sp + (uint64_t)(int64_t)e->sp_offset;
		break;
	case KT_ORC_REG_BP:
		sp = u->bp + (uint64_t)(int64_t)e->sp_offset;
		break;
	case KT_ORC_REG_SP_INDIRECT:
		sp = u->sp;
		indirect = true;
		break;
	case KT_ORC_REG_BP_INDIRECT:
		sp = u->bp + (uint64_t)(int64_t)e->sp_offset;
		indirect = true;
		break;
	case KT_ORC_REG_R10:
	case KT_ORC_REG_R13:
	case KT_ORC_REG_DI:
	case KT_ORC_REG_DX:
		if (!get_reg(u, e->sp_reg, &sp))
			return false;
		break;
	default:
		return false;
	}
	if (indirect) {
		if (!read_word(u, sp, &sp))
			return false;
		if (e->sp_reg == KT_ORC_REG_SP_INDIRECT)
			sp += (uint64_t)(int64_t)e->sp_offset;
	}
	*cfa = sp;
	return true;
}

static bool find_bp(struct unwind *u, const struct kt_orc_entry *e, uint64_t cfa)
{
	switch (e->bp_reg) {
	case KT_ORC_REG_UNDEFINED:
		if (u->have_regs && u->full_regs)
			u->bp = u->regs.bp;
		return true;
	case KT_ORC_REG_PREV_SP:
		return read_word(u, cfa + (uint64_t)(int64_t)e->bp_offset, &u->bp);
	case KT_ORC_REG_BP:
		return read_word(u, u->bp + (uint64_t)(int64_t)e->bp_offset, &u->bp);
	default:
		return false;
	}
}

/* Stacks only grow down within one stack; a jump is a switch of stacks. */
static bool plausible_move(struct unwind *u, uint64_t new_sp)
{
	if (new_sp > u->sp && new_sp - u->sp < kt_kernel_thread_size(u->k))
		return true;
	return ++u->switches <= MAX_STACK_SWITCHES && new_sp != u->sp;
}

enum step { STEP_NEXT, STEP_END, STEP_USER, STEP_FAIL };

static enum step step_regs(struct unwind *u, uint64_t addr, bool full)
{
	struct kt_regs r;
	if (!read_pt_regs(u, addr, full, &r))
		return STEP_FAIL;
	if (r.cs & 3) {
		u->stack->user_regs = true;
		u->stack->user = r;
		return STEP_USER;
	}
	if (!full) { /* keep the registers the partial frame does not hold */
		struct kt_regs merged = u->regs;
		merged.ip = r.ip, merged.cs = r.cs, merged.flags = r.flags;
		merged.sp = r.sp, merged.ss = r.ss;
		r = merged;
	}
	u->regs = r;
	u->regs_addr = addr;
	u->have_regs = true;
	u->full_regs = full;
	u->ip = r.ip;
	u->sp = r.sp;
	u->signal = true;
	return STEP_NEXT;
}

static enum step step(struct unwind *u, char *why, size_t why_len)
{
	struct kt_orc_entry e;
	struct kt_error *err = kt_orc_find(u->k, u->signal ? u->ip : u->ip - 1, &e);
	if (err) {
		snprintf(why, why_len, "%s", kt_error_string(err));
		kt_error_free(err);
		return STEP_FAIL;
	}
	if (e.type == KT_ORC_END_OF_STACK)
		return STEP_END;
	uint64_t cfa;
	if (e.type == KT_ORC_UNDEFINED || !find_cfa(u, &e, &cfa)) {
		snprintf(why, why_len, "no ORC information at 0x%llx", (unsigned long long)u->ip);
		return STEP_FAIL;
	}
	uint64_t old_bp = u->bp;
	enum step result = STEP_NEXT;
	switch (e.type) {
	case KT_ORC_CALL: {
		uint64_t ret;
		if (!read_word(u, cfa - 8, &ret) || !plausible_move(u, cfa)) {
			snprintf(why, why_len, "bad return address slot at 0x%llx",
				 (unsigned long long)(cfa - 8));
			return STEP_FAIL;
		}
		u->bp = old_bp;
		if (!find_bp(u, &e, cfa)) {
			snprintf(why, why_len, "cannot find the frame pointer");
			return STEP_FAIL;
		}
		u->ip = ret;
		u->sp = cfa;
		u->signal = false;
		u->have_regs = false;
		return STEP_NEXT;
	}
	case KT_ORC_REGS:
		result = step_regs(u, cfa, true);
		break;
	case KT_ORC_REGS_PARTIAL:
		if (!pt_regs_layout(u->k)->found[PT_REGS_IP])
			return STEP_FAIL;
		result = step_regs(u, cfa - pt_regs_layout(u->k)->offset[PT_REGS_IP], false);
		break;
	default:
		return STEP_FAIL;
	}
	if (result == STEP_NEXT && !find_bp(u, &e, cfa))
		u->bp = old_bp;
	if (result == STEP_FAIL)
		snprintf(why, why_len, "unreadable pt_regs at 0x%llx", (unsigned long long)cfa);
	return result;
}

/* Was the instruction before a possible return address a call? */
static bool follows_call(struct unwind *u, uint64_t ret)
{
	uint8_t code[8];
	struct kt_error *err = kt_kernel_read(u->k, ret - sizeof(code), code, sizeof(code));
	if (err) {
		kt_error_free(err);
		return false;
	}
	if (code[3] == 0xe8) /* call rel32 */
		return true;
	/* call r/m64 (ff /2), 2 to 7 bytes long with prefixes and displacements */
	for (int len = 2; len <= 7; len++) {
		uint8_t opcode = code[8 - len], modrm = code[9 - len];
		if (opcode == 0xff && ((modrm >> 3) & 7) == 2)
			return true;
	}
	return false;
}

/*
 * ORC gave up (objtool leaves some functions undescribed, e.g. __crash_kexec
 * around crash_setup_regs): find the next word up the stack that is a return
 * address right after a call, and carry on with ORC from there.  That frame
 * is marked unreliable; the ones ORC finds after it are not.
 */
static bool resync(struct unwind *u, uint64_t from)
{
	if (++u->resyncs > 3)
		return false;
	uint64_t top = (from | (kt_kernel_thread_size(u->k) - 1)) + 1;
	for (uint64_t a = from; a < top; a += 8) {
		uint64_t word;
		if (!read_word(u, a, &word))
			return false;
		if (!kt_symbol_is_text(u->k, word) || !follows_call(u, word))
			continue;
		u->ip = word;
		u->sp = a + 8;
		u->signal = false;
		u->have_regs = false;
		return true;
	}
	return false;
}

/* After ORC gave up for good: every text address left, unreliable. */
static void scan_rest(struct unwind *u, uint64_t from)
{
	uint64_t top = (from | (kt_kernel_thread_size(u->k) - 1)) + 1;
	for (uint64_t a = from; a < top; a += 8) {
		uint64_t word;
		if (!read_word(u, a, &word))
			return;
		if (!kt_symbol_is_text(u->k, word))
			continue;
		u->ip = word;
		u->sp = a + 8;
		u->signal = false;
		u->have_regs = false;
		struct kt_error *err = add_frame(u, false);
		if (err) {
			kt_error_free(err);
			return;
		}
	}
}

static struct kt_error *run(struct unwind *u)
{
	char why[160] = "";
	bool reliable = true;
	for (;;) {
		struct kt_error *err = add_frame(u, reliable);
		if (err) {
			snprintf(u->stack->error, sizeof(u->stack->error), "%s", kt_error_string(err));
			u->stack->partial = true;
			kt_error_free(err);
			return NULL;
		}
		reliable = true;
		uint64_t sp_before = u->sp;
		enum step s = step(u, why, sizeof(why));
		if (s == STEP_END || s == STEP_USER)
			return NULL;
		if (s == STEP_FAIL && resync(u, sp_before)) {
			reliable = false;
			continue;
		}
		if (s == STEP_FAIL) {
			snprintf(u->stack->error, sizeof(u->stack->error), "%s", why);
			u->stack->partial = true;
			scan_rest(u, sp_before);
			return NULL;
		}
	}
}

static struct kt_error *start_saved(struct unwind *u, const struct kt_task *task)
{
	uint64_t frame = task->saved_sp, size;
	struct kt_error *err = kt_type_sizeof(u->k, "struct inactive_task_frame", &size);
	if (!err)
		err = kt_read_member_u64(u->k, frame, "struct inactive_task_frame", "bp", &u->bp);
	if (!err)
		err = kt_read_member_u64(u->k, frame, "struct inactive_task_frame", "ret_addr", &u->ip);
	if (err)
		return kt_error_wrap(err, "pid %d: saved context at 0x%llx", task->pid,
				     (unsigned long long)frame);
	u->sp = frame + size;
	u->signal = false;
	u->stack->start = "saved context (thread.sp)";
	return NULL;
}

static void start_regs(struct unwind *u, const struct kt_regs *r)
{
	u->ip = r->ip;
	u->sp = r->sp;
	u->bp = r->bp;
	u->regs = *r;
	u->have_regs = true;
	u->full_regs = true;
	u->signal = true;
}

/* A task on a CPU: the registers that CPU saved, when the dump has them. */
static bool start_on_cpu(struct unwind *u, const struct kt_task *task)
{
	if (!task->on_cpu || task->cpu < 0 || kt_task_current(u->k, (unsigned)task->cpu) != task)
		return false;
	struct kt_regs r;
	if (!kt_cpu_registers(u->k, (unsigned)task->cpu, &r))
		return false;
	start_regs(u, &r);
	u->stack->start = "registers saved by its CPU (NT_PRSTATUS)";
	return true;
}

struct kt_error *kt_stack_unwind(struct kt_kernel *k, const struct kt_task *task,
				 struct kt_stack **out)
{
	struct kt_stack *stack = calloc(1, sizeof(*stack));
	if (!stack)
		return &kt_error_out_of_memory;
	struct unwind u = { .k = k, .stack = stack };
	struct kt_error *err = NULL;
	if (!start_on_cpu(&u, task))
		err = start_saved(&u, task);
	if (!err)
		err = run(&u);
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
	struct unwind u = { .k = k, .stack = stack };
	start_regs(&u, &r);
	stack->start = "registers saved by its CPU (NT_PRSTATUS)";
	struct kt_error *err = run(&u);
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
	free(stack);
}
