// SPDX-License-Identifier: MIT
/*
 * unknown: the fallback, last in the table.  A panic that no analyzer
 * explained is reported with its message (the signature is the message
 * with numbers and addresses normalised away); a log with no crash at all
 * gets a low-confidence "unknown" so that every report has a verdict.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

/* The message with hex and decimal numbers replaced by "N". */
static char *normalize(struct kt_arena *arena, const char *message)
{
	size_t len = strlen(message);
	char *out = kt_arena_alloc(arena, len + 1);
	if (!out)
		return NULL;
	size_t n = 0;
	for (const char *p = message; *p;) {
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			p += 2;
			while (isxdigit((unsigned char)*p))
				p++;
			out[n++] = 'N';
		} else if (isdigit((unsigned char)*p)) {
			while (isalnum((unsigned char)*p))
				p++;
			out[n++] = 'N';
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	return out;
}

struct known_panic {
	const char *says;
	const char *advice;
};

static const struct known_panic known[] = {
	{ "VFS: Unable to mount root fs", "The kernel found no root filesystem: check root= "
	  "on the command line (UUID, device name), that the initramfs has the storage and "
	  "filesystem drivers, and that the disk is visible (the partition list printed "
	  "just before the panic)." },
	{ "No working init found", "No init could be executed: check init= and the root "
	  "filesystem's /sbin/init (present, executable, right architecture)." },
	{ "Requested init", "The init given with init= could not be executed." },
	{ "Attempted to kill the idle task", "The idle task died: an oops in interrupt or "
	  "idle context; the oops before the panic is the cause." },
	{ "Fatal exception", "An oops the analyzers did not classify caused this panic: "
	  "read the report above the panic line." },
	{ "stack-protector", "Stack corruption detected by the stack protector: a buffer "
	  "overflow in the function named." },
	{ "corrupted stack end", "A task overran its kernel stack: deep recursion or a huge "
	  "on-stack buffer." },
};

/*
 * A dump whose log shows no crash (or could not be read): say what memory
 * shows instead, the blocked tasks and any deadlock among them.
 */
static void memory_only(struct kt_analysis *a, struct kt_finding_draft *f)
{
	size_t blocked = (kt_model_confirm_blocked(a, f), f ? f->pub.nr_tasks : 0);
	struct kt_model_lock_summary locks;
	kt_model_locks(a, f, &locks);
	kt_finding_sign(f, "no-panic");
	if (locks.cycles) {
		kt_finding_summary(f, "No crash report in the log, but memory shows a deadlock: %s",
				   locks.cycle);
		kt_finding_confidence(f, 0.5);
	} else if (kt_model_tasks_unreadable(a)) {
		kt_finding_summary(f, "No crash report in the log%s, and memory's task list could "
				   "not be read (see the notes): nothing is known of the tasks",
				   kt_log_text_count(a->log) ? "" : " (no log)");
		kt_finding_advice(f, "The dump is damaged or cut short: analyse it with the log "
				  "kdump saved beside it (ktriage analyze DUMP --log vmcore-dmesg.txt "
				  "or dmesg.*).");
	} else {
		kt_finding_summary(f, "No crash report in the log%s; memory shows %zu task%s in D "
				   "state", kt_log_text_count(a->log) ? "" : " (no log)", blocked,
				   blocked == 1 ? "" : "s");
	}
	kt_finding_advice(f, "The dump was taken without a panic the log explains (a "
			  "manual dump, a hypervisor or firmware watchdog, or a log that could "
			  "not be read): look at the blocked tasks and locks above, and at the "
			  "console capture.");
}

static void analyze(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	for (size_t i = 0; i < kt_analysis_finding_count(a); i++)
		if (kt_analysis_finding_claim(a, i) == KT_CLAIM_PANIC ||
		    (!facts->has_panic && kt_analysis_finding_count(a)))
			return;
	if (!facts->has_panic) {
		struct kt_finding_draft *f = kt_finding_new(a, "unknown", KT_CLAIM_NOTE, 0, 0.1);
		if (a->kernel) {
			memory_only(a, f);
			return;
		}
		kt_finding_summary(f, "No crash report found in the log%s",
				   kt_log_text_count(a->log) ? "" : " (the log is empty)");
		kt_finding_sign(f, "no-panic");
		kt_finding_advice(f, "The log has no panic, oops, hang or lockup report: the "
				  "machine may have been reset by firmware, a hardware watchdog or "
				  "power loss, or the log was cut before the crash (check the "
				  "console capture or pstore).");
		return;
	}
	struct kt_finding_draft *f = kt_finding_new(a, "unknown", KT_CLAIM_PANIC,
						    facts->panic_line, 0.4);
	if (!f)
		return;
	kt_finding_add_panic(a, f);
	kt_finding_add_lines(f, facts->panic_line + 1, facts->panic_trace.end_line);
	size_t from = facts->panic_line > 5 ? facts->panic_line - 5 : 0;
	kt_finding_add_lines(f, from, facts->panic_line);
	kt_finding_fact(f, "panic", "%s", facts->panic);
	if (facts->panic_pid >= 0) {
		struct kt_evidence_task *t = kt_finding_add_task(f, facts->panic_pid,
								 facts->panic_comm, KT_FROM_LOG);
		if (t) {
			t->role = "panicked";
			kt_task_set_frames(f, t, &facts->panic_trace);
		}
	}
	kt_finding_sign(f, "panic:%s", normalize(a->arena, facts->panic));
	kt_finding_summary(f, "Kernel panic: %s%s", facts->panic,
			   facts->panic_comm ? kt_arena_printf(a->arena, " (%s, pid %d)",
							       facts->panic_comm, facts->panic_pid) : "");
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strstr(facts->panic, known[i].says))
			kt_finding_advice(f, "%s", known[i].advice);
	kt_finding_advice(f, "Search the kernel changelog and lore.kernel.org for the panic "
			  "message \"%s\".", facts->panic);
}

const struct kt_analyzer kt_analyzer_unknown = { "unknown", analyze };
