// SPDX-License-Identifier: MIT
/*
 * oom: the OOM killer's report (mm/oom_kill.c, dump_header):
 *   "memhog invoked oom-killer: gfp_mask=0x140dca(...), order=0, oom_score_adj=0"
 *   "oom-kill:constraint=CONSTRAINT_MEMCG,...,oom_memcg=/pod,task_memcg=/pod/c,task=java,pid=28438,uid=0"
 *   "Task in /x killed as a result of limit of /y"         (before 4.19)
 *   "memory: usage 1048576kB, limit 1048576kB, failcnt 12" (memcg)
 *   "[  pid  ]   uid  tgid total_vm      rss ... name"     and one row per task
 *   "Out of memory: Killed process 114 (memhog) total-vm:..." / "Memory cgroup out of memory: ..."
 *   "Out of memory: Kill process 123 (x) score 900 or sacrifice child"  (older)
 * and the panics: "Out of memory: system-wide panic_on_oom is enabled",
 * "Out of memory: compulsory panic_on_oom is enabled", "Out of memory and
 * no killable processes...", "System is deadlocked on memory".
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define TOP_CONSUMERS 3

struct consumer {
	int pid;
	uint64_t rss;
	char name[64];
	size_t line;
};

struct oom_report {
	size_t first;            /* the first "invoked oom-killer" or kill line */
	size_t invoked, constraint_line, killed, usage_line, panic_line;
	size_t nr_events, nr_kills;
	char trigger[64];
	int trigger_pid;
	char constraint[48];     /* CONSTRAINT_NONE, CONSTRAINT_MEMCG, ... */
	char memcg[256];
	char usage[96];          /* "usage 49152kB, limit 49152kB" of the memcg */
	char victim[64];
	int victim_pid;
	bool memcg_kill, sysrq;
	struct consumer top[TOP_CONSUMERS];
	size_t nr_top, table_header;
	uint64_t ram_pages;
};

/* "key=value" in "oom-kill:constraint=...,task=java,pid=1": value up to ','. */
static bool field(const char *s, const char *key, char *out, size_t size)
{
	const char *p = strstr(s, key);
	if (!p)
		return false;
	p += strlen(key);
	size_t n = strcspn(p, ",");
	snprintf(out, size, "%.*s", (int)n, p);
	return true;
}

/* "Killed process 114 (memhog)" / "Kill process 123 (x)" */
static bool parse_kill(const char *s, struct oom_report *r)
{
	const char *p = strstr(s, "Killed process ");
	if (!p)
		p = strstr(s, "Kill process ");
	if (!p || (!strstr(s, "out of memory") && !strstr(s, "Out of memory")))
		return false;
	p = strstr(p, "process ") + 8;
	int pid;
	char name[64];
	if (sscanf(p, "%d (%63[^)])", &pid, name) != 2)
		return false;
	r->victim_pid = pid;
	snprintf(r->victim, sizeof(r->victim), "%s", name);
	r->memcg_kill |= strstr(s, "Memory cgroup out of memory") != NULL;
	return true;
}

/*
 * What only a memcg OOM prints (mem_cgroup_print_oom_meminfo): "memory: usage
 * 49152kB, limit 49152kB, failcnt 53" and "Memory cgroup stats for /PATH:".
 */
static bool memcg_line(const char *s, struct oom_report *r)
{
	if (strncmp(s, "memory: usage ", 14) == 0) {
		size_t usage = strcspn(s + 8, ","), limit = strcspn(s + 8 + usage + 1, ",");
		snprintf(r->usage, sizeof(r->usage), "%.*s", (int)(usage + 1 + limit), s + 8);
		return true;
	}
	const char *p = strstr(s, "Memory cgroup stats for ");
	if (!p)
		return false;
	if (!r->memcg[0])
		snprintf(r->memcg, sizeof(r->memcg), "%.*s", (int)strcspn(p + 24, ": "), p + 24);
	return true;
}

/* Column of "rss" in the task table header, counting "pid" as 0. */
static int rss_column(const char *header)
{
	char copy[256];
	snprintf(copy, sizeof(copy), "%s", header);
	int column = 0;
	char *save = NULL;
	for (char *tok = strtok_r(copy, " []", &save); tok; tok = strtok_r(NULL, " []", &save)) {
		if (strcmp(tok, "rss") == 0)
			return column;
		column++;
	}
	return -1;
}

static void add_consumer(struct oom_report *r, const char *row, int column, size_t line)
{
	char copy[256], *tokens[16];
	int n = 0;
	snprintf(copy, sizeof(copy), "%s", row);
	char *save = NULL;
	for (char *tok = strtok_r(copy, " []", &save); tok && n < 16; tok = strtok_r(NULL, " []", &save))
		tokens[n++] = tok;
	if (n <= column + 1 || !isdigit((unsigned char)tokens[0][0]))
		return;
	struct consumer c = { .pid = atoi(tokens[0]), .line = line };
	c.rss = strtoull(tokens[column], NULL, 10);
	snprintf(c.name, sizeof(c.name), "%s", tokens[n - 1]);
	/* Keep the largest, in order. */
	size_t at = r->nr_top;
	while (at > 0 && r->top[at - 1].rss < c.rss)
		at--;
	if (at >= TOP_CONSUMERS)
		return;
	size_t last = r->nr_top < TOP_CONSUMERS ? r->nr_top : TOP_CONSUMERS - 1;
	memmove(&r->top[at + 1], &r->top[at], (last - at) * sizeof(r->top[0]));
	r->top[at] = c;
	if (r->nr_top < TOP_CONSUMERS)
		r->nr_top++;
}

static bool parse_row_start(const char *s)
{
	while (*s == ' ')
		s++;
	if (*s != '[')
		return false;
	s++;
	while (*s == ' ')
		s++;
	return isdigit((unsigned char)*s);
}

/* "X invoked oom-killer:" at line i: a new event, its trigger and its pid. */
static void invoked(struct kt_analysis *a, struct oom_report *r, const char *s, const char *p,
		    size_t i)
{
	size_t n = kt_log_text_count(a->log);
	const char *start = s;
	while (*start == ' ')
		start++;
	snprintf(r->trigger, sizeof(r->trigger), "%.*s", (int)(p - start), start);
	r->invoked = i;
	r->nr_events++;
	r->nr_top = 0; /* the table that follows is this event's */
	for (size_t j = i + 1; j < n && j < i + 4; j++) {
		int cpu, pid;
		const char *comm;
		if (kt_parse_cpu_line(a->arena, kt_log_facts_line(a->facts, j), &cpu, &pid, &comm)) {
			r->trigger_pid = pid;
			break;
		}
	}
}

/* Read every OOM line of the log; the last event's details win. */
static bool scan(struct kt_analysis *a, struct oom_report *r)
{
	const struct kt_log_facts *facts = a->facts;
	size_t n = kt_log_text_count(a->log);
	int column = -1;
	*r = (struct oom_report){ .first = SIZE_MAX, .invoked = SIZE_MAX, .killed = SIZE_MAX,
				  .constraint_line = SIZE_MAX, .usage_line = SIZE_MAX,
				  .trigger_pid = -1, .victim_pid = -1, .table_header = SIZE_MAX };
	for (size_t i = 0; i < n; i++) {
		const char *s = kt_log_facts_line(facts, i);
		const char *p;
		if ((p = strstr(s, " invoked oom-killer: "))) {
			invoked(a, r, s, p, i);
			column = -1;
		} else if ((p = strstr(s, "oom-kill:constraint="))) {
			r->constraint_line = i;
			field(p, "constraint=", r->constraint, sizeof(r->constraint));
			field(p, "oom_memcg=", r->memcg, sizeof(r->memcg));
		} else if ((p = strstr(s, "Task in ")) && strstr(s, "killed as a result of limit of ")) {
			r->constraint_line = i;
			snprintf(r->constraint, sizeof(r->constraint), "CONSTRAINT_MEMCG");
			p = strstr(s, "limit of ") + 9;
			snprintf(r->memcg, sizeof(r->memcg), "%.*s", (int)strcspn(p, " "), p);
		} else if (memcg_line(s, r)) {
			if (strncmp(s, "memory: usage ", 14) == 0)
				r->usage_line = i;
		} else if (strstr(s, "total_vm") && strstr(s, "rss") && strstr(s, "pid")) {
			column = rss_column(s);
			r->table_header = i;
		} else if (column > 0 && parse_row_start(s)) {
			add_consumer(r, s, column, i);
		} else if (parse_kill(s, r)) {
			r->killed = i;
			r->nr_kills++;
			column = -1;
		} else if (strstr(s, " pages RAM")) {
			r->ram_pages = strtoull(s, NULL, 10);
		} else if (strstr(s, "Manual OOM execution")) {
			r->sysrq = true;
			if (r->first == SIZE_MAX)
				r->first = i;
		}
		if (r->first == SIZE_MAX && (r->invoked == i || r->killed == i))
			r->first = i;
	}
	bool panic = kt_panic_says(facts, "Out of memory") || kt_panic_says(facts, "out of memory") ||
		     kt_panic_says(facts, "deadlocked on memory") || kt_panic_says(facts, "panic_on_oom");
	r->panic_line = panic ? facts->panic_line : SIZE_MAX;
	if (r->first == SIZE_MAX && panic)
		r->first = facts->panic_line;
	/* No report before the panic (sysrq-f, no killable task): the panicking task asked. */
	if (!r->trigger[0] && panic && facts->panic_comm) {
		snprintf(r->trigger, sizeof(r->trigger), "%s", facts->panic_comm);
		r->trigger_pid = facts->panic_pid;
	}
	return r->first != SIZE_MAX;
}

static const char *kind(const struct oom_report *r)
{
	if (strstr(r->constraint, "MEMCG") || r->memcg_kill || r->memcg[0] || r->usage[0])
		return "memcg";
	if (strstr(r->constraint, "CPUSET"))
		return "cpuset";
	if (strstr(r->constraint, "MEMORY_POLICY"))
		return "mempolicy";
	return "system-wide";
}

static void add_evidence(struct kt_analysis *a, struct kt_finding_draft *f,
			 const struct oom_report *r)
{
	size_t lines[] = { r->first, r->invoked, r->constraint_line, r->usage_line,
			   r->table_header, r->killed, r->panic_line };
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (lines[i] != SIZE_MAX)
			kt_finding_add_line(f, lines[i]);
	for (size_t i = 0; i < r->nr_top; i++)
		kt_finding_add_line(f, r->top[i].line);
	if (r->panic_line != SIZE_MAX)
		kt_finding_claim_event(f, r->panic_line);
	if (r->trigger[0]) {
		struct kt_evidence_task *t = kt_finding_add_task(f, r->trigger_pid, r->trigger, KT_FROM_LOG);
		if (t)
			t->role = "invoked the OOM killer (its allocation failed)";
	}
	for (size_t i = 0; i < r->nr_top; i++) {
		struct kt_evidence_task *t = kt_finding_add_task(f, r->top[i].pid, r->top[i].name, KT_FROM_LOG);
		if (t && !t->role)
			t->role = kt_arena_printf(a->arena, "top consumer #%zu: rss %" PRIu64 " pages",
						  i + 1, r->top[i].rss);
		else if (t)
			t->role = kt_arena_printf(a->arena, "%s; top consumer #%zu: rss %" PRIu64 " pages",
						  t->role, i + 1, r->top[i].rss);
	}
	if (r->victim[0]) {
		struct kt_evidence_task *t = kt_finding_add_task(f, r->victim_pid, r->victim, KT_FROM_LOG);
		if (t)
			t->role = "killed by the OOM killer";
	}
	/* Memory: are the tasks the report names in the dump? */
	for (size_t i = 0; i < f->pub.nr_tasks; i++) {
		struct kt_evidence_task *t = (struct kt_evidence_task *)&f->pub.tasks[i];
		const struct kt_task *task = kt_model_task(a, t->pid);
		if (task && t->comm && strncmp(task->comm, t->comm, 15) == 0) {
			t->sources |= KT_FROM_MEMORY;
			t->state = kt_task_state_name(task->state);
			kt_finding_add_sources(f, KT_FROM_MEMORY);
		}
	}
}

/* The dump's memory counters at the crash (the kernel's own, as /proc/meminfo). */
static void memory_state(struct kt_analysis *a, struct kt_finding_draft *f)
{
	struct kt_meminfo m;
	if (!a->kernel)
		return;
	struct kt_error *err = kt_meminfo_counters(a->kernel, &m);
	if (err) {
		kt_analysis_note(a, "memory counters could not be read: %s", kt_error_string(err));
		kt_error_free(err);
		return;
	}
	if (!m.total_mem)
		return;
	kt_finding_fact_from(f, KT_FROM_MEMORY, "memory", "free %" PRIu64 " of %" PRIu64 " pages (%" PRIu64 "%%), "
			"page cache %" PRIu64 ", slab %" PRIu64 ", swap free %" PRIu64 " of %" PRIu64
			" (memory)", m.free, m.total_mem, m.free * 100 / m.total_mem, m.cached,
			m.slab, m.swap_free, m.total_swap);
	kt_finding_add_sources(f, KT_FROM_MEMORY);
}

static void summarize(struct kt_analysis *a, struct kt_finding_draft *f,
		      const struct oom_report *r, int panic_on_oom)
{
	const char *what = strcmp(kind(r), "memcg") == 0 ? "Memory cgroup OOM"
			   : strcmp(kind(r), "system-wide") == 0 ? "System-wide OOM"
								  : "OOM";
	char memcg[300] = "", top[160] = "", outcome[160];
	if (r->memcg[0])
		snprintf(memcg, sizeof(memcg), " in %s", r->memcg);
	if (r->nr_top) {
		if (r->ram_pages)
			snprintf(top, sizeof(top), "; top consumer %s (pid %d) had %" PRIu64
				 " of %" PRIu64 " RAM pages (%" PRIu64 "%%)", r->top[0].name,
				 r->top[0].pid, r->top[0].rss, r->ram_pages,
				 r->top[0].rss * 100 / r->ram_pages);
		else
			snprintf(top, sizeof(top), "; top consumer %s (pid %d), rss %" PRIu64 " pages",
				 r->top[0].name, r->top[0].pid, r->top[0].rss);
	}
	if (panic_on_oom)
		snprintf(outcome, sizeof(outcome), "panic_on_oom=%d panicked instead of killing",
			 panic_on_oom);
	else if (r->panic_line != SIZE_MAX)
		snprintf(outcome, sizeof(outcome), "panic: %s", a->facts->panic);
	else if (r->victim[0])
		snprintf(outcome, sizeof(outcome), "killed %s (pid %d)%s", r->victim, r->victim_pid,
			 r->nr_kills > 1 ? kt_arena_printf(a->arena, ", %zu kills in all", r->nr_kills) : "");
	else
		snprintf(outcome, sizeof(outcome), "no victim in the log");
	kt_finding_summary(f, "%s%s%s%s: %s%s", what, memcg,
			   r->trigger[0] ? kt_arena_printf(a->arena, ", invoked by %s", r->trigger) : "",
			   r->sysrq ? " (forced by SysRq-f)" : "", outcome, top);
}

static void advise(struct kt_finding_draft *f, const struct oom_report *r, int panic_on_oom,
		   const struct kt_log_facts *facts)
{
	if (panic_on_oom == 1)
		kt_finding_advice(f, "vm.panic_on_oom=1 was set: the kernel panicked instead of "
				  "killing a task. Set vm.panic_on_oom=0 if the OOM killer should "
				  "recover the machine, or keep it if a reboot is the intended policy.");
	if (panic_on_oom == 2)
		kt_finding_advice(f, "vm.panic_on_oom=2 (compulsory) panics even for memcg and "
				  "cpuset OOMs: use 1 or 0 unless every OOM must reboot the host.");
	if (kt_panic_says(facts, "no killable processes"))
		kt_finding_advice(f, "No task could be killed: every candidate was unkillable "
				  "(oom_score_adj -1000) or there were none (early boot: is there "
				  "enough RAM for the kernel and initramfs?).");
	if (strcmp(kind(r), "memcg") == 0)
		kt_finding_advice(f, "The memory cgroup %s hit its own limit (memory.max / "
				  "memory.limit_in_bytes%s%s): the machine had memory to spare. "
				  "Raise that cgroup's limit or fix the growth of %s; adding a "
				  "limit elsewhere would not help.", r->memcg[0] ? r->memcg : "",
				  r->usage[0] ? "; " : "", r->usage,
				  r->victim[0] ? r->victim : r->nr_top ? r->top[0].name : "its largest task");
	else if (strcmp(kind(r), "cpuset") == 0 || strcmp(kind(r), "mempolicy") == 0)
		kt_finding_advice(f, "The allocation was confined (%s) to some NUMA nodes, which "
				  "ran out while others had memory: check the cpuset's mems / the "
				  "task's mempolicy (numactl --membind) before adding memory.",
				  kind(r));
	else if (r->nr_top)
		kt_finding_advice(f, "%s held the most memory: check it for a leak or bound it "
				  "with a memory cgroup limit; check the Mem-Info lines for slab or "
				  "page-cache growth if user memory does not explain it.",
				  r->top[0].name);
	if (r->sysrq)
		kt_finding_advice(f, "SysRq-f forced this OOM kill: somebody asked for it.");
}

static void analyze(struct kt_analysis *a)
{
	struct oom_report r;
	if (!scan(a, &r) || kt_analysis_event_claimed(a, r.first))
		return;
	const struct kt_log_facts *facts = a->facts;
	int panic_on_oom = kt_panic_says(facts, "compulsory panic_on_oom") ? 2
			   : kt_panic_says(facts, "panic_on_oom") ? 1 : 0;
	enum kt_claim claim = r.panic_line != SIZE_MAX ? KT_CLAIM_PANIC : KT_CLAIM_NOTE;
	struct kt_finding_draft *f = kt_finding_new(a, "oom", claim, r.first, 0.75);
	if (!f)
		return;
	add_evidence(a, f, &r);
	kt_finding_fact(f, "kind", "%s", kind(&r));
	kt_finding_fact(f, "panic_on_oom", "%d", panic_on_oom);
	if (r.constraint[0])
		kt_finding_fact(f, "constraint", "%s", r.constraint);
	if (r.memcg[0])
		kt_finding_fact(f, "cgroup", "%s", r.memcg);
	if (r.usage[0])
		kt_finding_fact(f, "memcg_usage", "%s", r.usage);
	if (r.victim[0])
		kt_finding_fact(f, "victim", "%s (pid %d)", r.victim, r.victim_pid);
	if (r.nr_top)
		kt_finding_fact(f, "top_consumer", "%s (pid %d, rss %" PRIu64 " pages)",
				r.top[0].name, r.top[0].pid, r.top[0].rss);
	if (r.nr_events > 1)
		kt_finding_fact(f, "events", "%zu", r.nr_events);
	memory_state(a, f);
	summarize(a, f, &r, panic_on_oom);
	advise(f, &r, panic_on_oom, facts);
	char comm[64];
	kt_finding_sign(f, "kind:%s", kind(&r));
	kt_finding_sign(f, "panic_on_oom:%d", panic_on_oom);
	if (r.sysrq)
		kt_finding_sign(f, "trigger:sysrq");
	kt_normalize_comm(r.nr_top ? r.top[0].name : r.victim, comm, sizeof(comm));
	if (comm[0])
		kt_finding_sign(f, "consumer:%s", comm);
	if (f->pub.sources & KT_FROM_MEMORY)
		kt_finding_confidence(f, 0.9);
}

const struct kt_analyzer kt_analyzer_oom = { "oom", analyze };
