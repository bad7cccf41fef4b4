// SPDX-License-Identifier: MIT
/*
 * What the soft and hard lockup detectors print about the stuck CPU: its
 * registers and its stack, after the detector's own frames (the hrtimer
 * or NMI that noticed).  Shared by soft_lockup and hard_lockup.
 */
#include <stdio.h>
#include <string.h>

#include "report.h"

/* Frames of the detector and of interrupt entry: what interrupted the culprit. */
static bool detector_frame(const char *fn)
{
	static const char *const names[] = {
		"watchdog_timer_fn", "watchdog_overflow_callback", "__hrtimer_run_queues",
		"hrtimer_interrupt", "__sysvec_apic_timer_interrupt", "smp_apic_timer_interrupt",
		"apic_timer_interrupt", "local_apic_timer_interrupt", "perf_event_overflow",
		"__perf_event_overflow", "intel_pmu_handle_irq", "perf_event_nmi_handler",
		"nmi_handle", "default_do_nmi", "do_nmi", "perf_ibs_nmi_handler",
		"amd_pmu_handle_irq", "x86_pmu_handle_irq", "arch_timer_handler_phys",
		"arch_timer_handler_virt", "handle_percpu_devid_irq", "generic_handle_irq",
		"generic_handle_domain_irq", "__handle_domain_irq", "gic_handle_irq",
		"handle_domain_irq", "call_on_irq_stack", "do_interrupt_handler",
		"el1_interrupt", "el1h_64_irq_handler", "el1h_64_irq", "el1_irq", "__irq_svc",
		"tick_sched_timer", "tick_sched_handle", "update_process_times",
		"run_local_timers", "hrtimer_run_queues", "scheduler_tick",
		"arm64_preempt_schedule_irq", "irq_exit", "__irq_exit_rcu",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (kt_function_is(fn, names[i]))
			return true;
	return kt_function_has_prefix(fn, "asm_sysvec") || kt_function_has_prefix(fn, "sysvec_") ||
	       kt_function_has_prefix(fn, "__sysvec") || kt_function_is(fn, "panic") ||
	       kt_function_is(fn, "dump_stack") || kt_function_is(fn, "dump_stack_lvl") ||
	       kt_function_is(fn, "show_stack") || kt_function_is(fn, "dump_backtrace");
}

size_t kt_lockup_culprit(const struct kt_text_trace *trace)
{
	size_t last_detector = SIZE_MAX;
	for (size_t i = 0; i < trace->count; i++)
		if (!trace->frames[i].unreliable && detector_frame(trace->frames[i].function))
			last_detector = i;
	size_t culprit = last_detector == SIZE_MAX ? 0 : last_detector + 1;
	while (culprit < trace->count && trace->frames[culprit].unreliable)
		culprit++;
	return culprit;
}

struct kt_text_trace kt_lockup_rest(const struct kt_text_trace *trace, size_t culprit)
{
	return (struct kt_text_trace){ .frames = trace->frames ? trace->frames + culprit : NULL,
				       .count = trace->count - culprit };
}

struct kt_evidence_task *kt_lockup_task(struct kt_analysis *a, struct kt_finding_draft *f,
					int32_t pid, const char *comm,
					const struct kt_text_trace *trace, size_t culprit,
					const char *role)
{
	struct kt_evidence_task *t = kt_finding_add_task(f, pid, comm, KT_FROM_LOG);
	if (!t)
		return NULL;
	t->role = role;
	struct kt_text_trace rest = kt_lockup_rest(trace, culprit);
	kt_task_set_frames(f, t, &rest);
	return t;
}

/*
 * The registers and stack printed after a detector line: the first kernel
 * RIP (or pc) and the first Call Trace within the next lines, stopping at
 * the next report.  Fills *oops like an oops report.
 */
void kt_lockup_report(struct kt_analysis *a, size_t line, size_t limit, struct kt_oops *oops)
{
	const struct kt_log_facts *facts = a->facts;
	*oops = (struct kt_oops){ .line = line, .end = limit, .cpu = -1, .pid = -1 };
	size_t trace_line = SIZE_MAX;
	for (size_t i = line + 1; i < limit; i++) {
		const char *s = kt_log_facts_line(facts, i);
		while (*s == ' ')
			s++;
		if (strstr(s, "Kernel panic - not syncing") || strstr(s, "soft lockup - CPU#") ||
		    strstr(s, "INFO: task ") || strstr(s, "detected stalls"))
			break;
		int cpu, pid;
		const char *comm;
		if (oops->pid < 0 && kt_parse_cpu_line(a->arena, s, &cpu, &pid, &comm)) {
			oops->cpu = cpu;
			oops->pid = pid;
			oops->comm = comm;
		}
		if (!oops->has_rip && !strstr(s, "RIP: 0033") &&
		    (strncmp(s, "RIP: ", 5) == 0 || strncmp(s, "pc : ", 5) == 0 ||
		     strncmp(s, "PC is at ", 9) == 0 || strncmp(s, "EIP: ", 5) == 0) &&
		    kt_frame_parse(a->arena, s, &oops->rip)) {
			oops->has_rip = true;
			oops->rip_line = i;
		}
		if (trace_line == SIZE_MAX && (strncmp(s, "Call Trace:", 11) == 0 ||
					       strncmp(s, "Call trace:", 11) == 0))
			trace_line = i;
		oops->end = i + 1;
	}
	if (trace_line != SIZE_MAX)
		kt_log_facts_trace(a->arena, a->log, trace_line, limit, &oops->trace);
}

/*
 * What memory says about a lockup's CPU and spinlocks: the lock it spins on
 * and who holds it (the culprit), or the lock it holds while others spin.
 * "" when memory shows no spinlock on that CPU.
 */
const char *kt_lockup_spin_text(struct kt_analysis *a, struct kt_finding_draft *f, int cpu)
{
	struct kt_model_spin s;
	if (!kt_model_spin(a, f, cpu, &s) || !s.lock)
		return "";
	const char *name = s.lock->symbol ? s.lock->symbol : "a spinlock";
	kt_finding_fact(f, "lock", "%s", name);
	if (s.holder_pid >= 0) {
		kt_finding_fact(f, "culprit", "%s:%d", s.holder_comm ? s.holder_comm : "?",
				s.holder_pid);
		kt_finding_fact(f, "holder", "%s", s.holder_where ? s.holder_where : "");
	}
	if (s.cpu_spins && s.holder_pid >= 0)
		return kt_arena_printf(a->arena, "; it spins on %s, held by %s:%d (%s): the culprit",
				       name, s.holder_comm ? s.holder_comm : "?", s.holder_pid,
				       s.holder_cpu >= 0 ? kt_arena_printf(a->arena, "running on CPU %d",
									   s.holder_cpu)
							 : "asleep");
	if (s.cpu_spins)
		return kt_arena_printf(a->arena, "; it spins on %s, whose holder memory does not show",
				       name);
	return kt_arena_printf(a->arena, "; it holds %s, on which %s:%d spins on CPU %d: the culprit",
			       name, s.spinner_comm ? s.spinner_comm : "?", s.spinner_pid,
			       s.spinner_cpu);
}
