// SPDX-License-Identifier: MIT
/*
 * timer_bug: a crash in the timer core (kernel/time/timer.c: the wheel,
 * add/mod/del_timer, expiry) or a BUG/WARN in a timer callback.  The usual
 * cause is a timer_list freed or re-initialised while still pending: the
 * wheel then walks a stale entry in __run_timers, or add_timer finds the
 * timer already pending.  The callback names the guilty code; the log
 * gives it when the crash is inside it (call_timer_fn on the stack),
 * CONFIG_DEBUG_OBJECTS_TIMERS gives it in its "hint:", and memory gives it
 * from the timer_list a register points to.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* Functions of kernel/time/timer.c (and kernel/timer.c before 3.16), 3.x-6.x. */
static const char *const timer_core[] = {
	"__run_timers", "run_timer_softirq", "call_timer_fn", "expire_timers",
	"collect_expired_timers", "__collect_expired_timers", "detach_timer",
	"detach_if_pending", "enqueue_timer", "internal_add_timer",
	"__internal_add_timer", "trigger_dyntick_cpu", "__mod_timer", "mod_timer",
	"mod_timer_pending", "timer_reduce", "add_timer", "add_timer_on",
	"add_timer_global", "del_timer", "del_timer_sync", "try_to_del_timer_sync",
	"__try_to_del_timer_sync", "timer_delete", "timer_delete_sync",
	"__timer_delete", "__timer_delete_sync", "timer_shutdown",
	"timer_shutdown_sync", "lock_timer_base", "cascade", "migrate_timer_list",
	"timers_dead_cpu", "process_timeout", "init_timer_key", "do_init_timer",
	"next_expiry_recalc", "timer_recalc_next_expiry", "get_next_timer_interrupt",
	"run_local_timers", "timer_fixup_activate", "timer_fixup_free",
	"timer_fixup_init", "timer_fixup_assert_init", "debug_activate",
	"debug_deactivate", "debug_assert_init", "stub_timer",
};

static bool is_timer_core(const char *function)
{
	for (size_t i = 0; i < sizeof(timer_core) / sizeof(timer_core[0]); i++)
		if (kt_function_is(function, timer_core[i]))
			return true;
	return false;
}

static bool is_timer_file(const char *file)
{
	return file && (strstr(file, "kernel/time/timer.c") || strstr(file, "kernel/timer.c"));
}

/* The first frame the kernel was sure of. */
static const struct kt_text_frame *first_reliable(const struct kt_text_trace *trace)
{
	for (size_t i = 0; i < trace->count; i++)
		if (!trace->frames[i].unreliable)
			return &trace->frames[i];
	return NULL;
}

/* The callback from the stack: the function call_timer_fn called. */
static const char *callback_from_stack(const struct kt_oops *oops)
{
	const struct kt_text_trace *t = &oops->trace;
	const struct kt_text_frame *callee = oops->has_rip ? &oops->rip : NULL;
	for (size_t i = 0; i < t->count; i++) {
		const struct kt_text_frame *f = &t->frames[i];
		if (f->unreliable)
			continue;
		if (kt_function_is(f->function, "call_timer_fn"))
			return callee && !is_timer_core(callee->function) ? callee->function : NULL;
		callee = f;
	}
	return NULL;
}

/* A line near the report that names the callback, by ODEBUG or a preempt leak. */
static const char *callback_from_lines(struct kt_analysis *a, const struct kt_oops *oops,
				       bool *odebug)
{
	size_t from = oops->line > 4 ? oops->line - 4 : 0;
	for (size_t i = from; i < oops->end && i < oops->line + 8; i++) {
		const char *s = kt_log_facts_line(a->facts, i);
		const char *hint = strstr(s, "object type: timer_list hint: ");
		const char *leak = strstr(s, " preempt leak: ");
		struct kt_text_frame frame;
		if (hint && kt_frame_parse(a->arena, hint + 30, &frame)) {
			*odebug = true;
			return frame.function;
		}
		if (leak && strstr(s, "timer: ") && kt_frame_parse(a->arena, strstr(s, "timer: ") + 7, &frame))
			return frame.function;
	}
	return NULL;
}

/* Is this report a timer bug, and how? */
static const char *timer_reason(struct kt_analysis *a, const struct kt_oops *oops,
				const char **callback, bool *odebug)
{
	*callback = callback_from_lines(a, oops, odebug);
	if (*odebug)
		return "a timer_list was freed or re-initialised while still pending (ODEBUG)";
	if (!*callback)
		*callback = callback_from_stack(oops);
	if (is_timer_file(oops->bug_file)) {
		if (oops->has_rip && (kt_function_is(oops->rip.function, "add_timer") ||
				      kt_function_is(oops->rip.function, "add_timer_on")))
			return "add_timer() on a timer that is already pending";
		return "an assertion in the timer core failed";
	}
	if (oops->has_rip && is_timer_core(oops->rip.function))
		return "the timer wheel holds a corrupted timer_list: a timer freed or "
		       "overwritten while still pending";
	const struct kt_text_frame *caller = first_reliable(&oops->trace);
	bool from_core = caller && is_timer_core(caller->function);
	bool bad_rip = !oops->has_rip || kt_function_has_prefix(oops->rip.function, "__x86_indirect_thunk") ||
		       (oops->has_address && oops->has_rip && oops->address >= 0xffff800000000000ull &&
			oops->kind != KT_OOPS_BUG);
	if (from_core && bad_rip && oops->kind != KT_OOPS_WARN)
		return "the timer core called a garbage callback pointer: the timer_list was "
		       "freed or overwritten while pending";
	if ((oops->kind == KT_OOPS_BUG || oops->kind == KT_OOPS_WARN) && *callback)
		return "a BUG/WARN in a timer callback";
	return NULL;
}

/* From memory: a register pointing at a timer_list whose function is text. */
static const char *callback_from_memory(struct kt_analysis *a, struct kt_finding_draft *f)
{
	uint64_t offset;
	if (!a->kernel)
		return NULL;
	struct kt_error *err = kt_type_offsetof(a->kernel, "struct timer_list", "function", &offset);
	if (err) {
		kt_error_free(err);
		return NULL;
	}
	for (size_t i = 0; i < f->pub.nr_registers; i++) {
		const struct kt_fact *r = &f->pub.registers[i];
		char *end;
		uint64_t value = strtoull(r->value, &end, 16), function;
		struct kt_symbol sym;
		uint64_t sym_offset;
		if (*end || value % 8 || !kt_kernel_is_kernel_address(a->kernel, value))
			continue;
		err = kt_kernel_read_u64(a->kernel, value + offset, &function);
		if (err) {
			kt_error_free(err);
			continue;
		}
		if (!kt_symbol_is_text(a->kernel, function))
			continue;
		err = kt_symbol_at(a->kernel, function, &sym, &sym_offset);
		if (err) {
			kt_error_free(err);
			continue;
		}
		if (sym_offset != 0)
			continue; /* a callback is a function's start, not a return address */
		kt_finding_fact(f, "timer_list", "%s=0x%" PRIx64 " (memory)", r->key, value);
		return kt_arena_printf(a->arena, "%s%s%s%s", sym.name, sym.module ? " [" : "",
				       sym.module ? sym.module : "", sym.module ? "]" : "");
	}
	return NULL;
}

static void analyze_oops(struct kt_analysis *a, const struct kt_oops *oops)
{
	const char *callback = NULL;
	bool odebug = false;
	const char *reason = timer_reason(a, oops, &callback, &odebug);
	if (!reason)
		return;
	struct kt_finding_draft *f = kt_oops_finding(a, "timer_bug", oops, 0.7);
	if (!f)
		return;
	if (callback) {
		char base[128];
		kt_function_base(callback, base, sizeof(base));
		kt_finding_fact(f, "callback", "%s", callback);
		kt_finding_sign(f, "callback:%s", base);
	} else if ((callback = callback_from_memory(a, f))) {
		kt_finding_fact(f, "callback", "%s (memory)", callback);
		kt_finding_add_sources(f, KT_FROM_MEMORY);
	}
	const char *what = oops->kind == KT_OOPS_GPF ? "General protection fault"
			   : oops->kind == KT_OOPS_BUG ? "kernel BUG"
			   : oops->kind == KT_OOPS_WARN ? "WARN"
			   : oops->kind == KT_OOPS_NULL_DEREF ? "NULL pointer dereference"
							     : "Oops";
	kt_finding_summary(f, "%s in %s%s%s%s: %s%s%s", what,
			   oops->has_rip ? kt_frame_string(a->arena, &oops->rip) : "the timer core",
			   oops->in_interrupt || kt_panic_says(a->facts, "in interrupt")
				   ? " (timer softirq)" : "",
			   oops->cpu >= 0 ? kt_arena_printf(a->arena, " on CPU %d", oops->cpu) : "",
			   "", reason, callback ? "; callback " : "", callback ? callback : "");
	kt_finding_fact(f, "reason", "%s", reason);
	kt_finding_advice(f, "Look for a timer_list freed (kfree of the object embedding it) "
			  "without del_timer_sync()/timer_shutdown_sync() first, or set up "
			  "again with timer_setup() while pending.%s%s",
			  callback ? " The callback points at the owner: " : "",
			  callback ? callback : "");
	kt_finding_advice(f, "Reproduce with CONFIG_DEBUG_OBJECTS_TIMERS=y (ODEBUG names the "
			  "callback of a timer freed while active) and KASAN.");
	kt_finding_advice(f, "Search the changelog for the callback's driver with \"timer\" "
			  "and \"use-after-free\" / \"del_timer_sync\".");
	if (f->pub.sources & KT_FROM_MEMORY)
		kt_finding_confidence(f, callback ? 0.9 : 0.8);
}

static void analyze(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	for (size_t i = 0; i < facts->nr_oopses; i++)
		if (!kt_analysis_event_claimed(a, facts->oopses[i].line))
			analyze_oops(a, &facts->oopses[i]);
}

const struct kt_analyzer kt_analyzer_timer_bug = { "timer_bug", analyze };
