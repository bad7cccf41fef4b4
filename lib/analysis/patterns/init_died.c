// SPDX-License-Identifier: MIT
/*
 * init_died: "Kernel panic - not syncing: Attempted to kill init!
 * exitcode=0x0000000b" (kernel/exit.c): PID 1 exited or was killed.  The
 * exit code is a wait status: low 7 bits the signal, bits 8-15 the exit
 * status.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const char *signal_name(int sig)
{
	static const char *const names[] = {
		[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
		[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
		[SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL",
		[SIGSEGV] = "SIGSEGV", [SIGPIPE] = "SIGPIPE", [SIGTERM] = "SIGTERM",
		[SIGSYS] = "SIGSYS",
	};
	if (sig > 0 && (size_t)sig < sizeof(names) / sizeof(names[0]) && names[sig])
		return names[sig];
	return NULL;
}

static void analyze(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	if (!kt_panic_says(facts, "Attempted to kill init") ||
	    kt_analysis_event_claimed(a, facts->panic_line))
		return;
	struct kt_finding_draft *f = kt_finding_new(a, "init_died", KT_CLAIM_PANIC,
						    facts->panic_line, 0.75);
	if (!f)
		return;
	kt_finding_add_panic(a, f);
	const char *code = strstr(facts->panic, "exitcode=");
	unsigned long status = code ? strtoul(code + 9, NULL, 16) : 0;
	int sig = (int)(status & 0x7f);
	char how[64];
	if (!code)
		snprintf(how, sizeof(how), "exited");
	else if (sig && signal_name(sig))
		snprintf(how, sizeof(how), "was killed by %s%s", signal_name(sig),
			 status & 0x80 ? " (core dumped)" : "");
	else if (sig)
		snprintf(how, sizeof(how), "was killed by signal %d", sig);
	else
		snprintf(how, sizeof(how), "exited with status %lu", (status >> 8) & 0xff);
	if (code)
		kt_finding_fact(f, "exitcode", "0x%08lx", status);
	kt_finding_sign(f, "exit:%s", how);
	const char *comm = facts->panic_comm ? facts->panic_comm : "init";
	if (facts->panic_pid >= 0) {
		struct kt_evidence_task *t = kt_finding_add_task(f, facts->panic_pid, comm, KT_FROM_LOG);
		if (t) {
			t->role = "init, exiting";
			kt_task_set_frames(f, t, &facts->panic_trace);
		}
	}
	/* What init said or suffered just before: a segfault, a failed exec. */
	size_t from = facts->panic_line > 40 ? facts->panic_line - 40 : 0;
	for (size_t i = from; i < facts->panic_line; i++) {
		const char *s = kt_log_facts_line(facts, i);
		if ((strstr(s, "[1]: segfault") || strstr(s, "traps: ") || strstr(s, "init") ||
		     strstr(s, "Run /") || strstr(s, "Starting init")) && !strstr(s, "initcall") &&
		    !strstr(s, "Freeing unused"))
			kt_finding_add_line(f, i);
	}
	kt_finding_summary(f, "init (%s, pid %d) %s: PID 1 must never exit", comm,
			   facts->panic_pid >= 0 ? facts->panic_pid : 1, how);
	kt_finding_advice(f, "User space, not the kernel, ended here: PID 1 %s. Read the init "
			  "system's or initramfs's last messages (the lines before the panic) "
			  "and check the root filesystem and /init or /sbin/init.", how);
	if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL)
		kt_finding_advice(f, "A crash of init itself: a corrupted binary or library on "
				  "the root filesystem, a wrong architecture, or failing memory.");
}

const struct kt_analyzer kt_analyzer_init_died = { "init_died", analyze };
