// SPDX-License-Identifier: MIT
/*
 * The finding builder analyzers use.  Everything is copied into the
 * report's arena; a failed allocation drops the piece of evidence and is
 * reported once, as out of memory, when the analysis ends.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

#define MAX_LINES 400
#define MAX_FRAMES 64
#define KT_MAX_FINDINGS_PER_VERDICT 16

struct kt_finding_draft *kt_finding_new(struct kt_analysis *analysis,
					const char *verdict, enum kt_claim claim,
					size_t event_line, double confidence)
{
	struct kt_report *report = analysis->report;
	/* A log of a thousand oopses: the first ones are the story. */
	size_t same = 0;
	for (size_t i = 0; i < report->count; i++)
		same += strcmp(report->findings[i]->pub.verdict, verdict) == 0;
	if (same >= KT_MAX_FINDINGS_PER_VERDICT) {
		if (same == KT_MAX_FINDINGS_PER_VERDICT && !report->capped) {
			report->capped = true;
			kt_analysis_note(analysis, "more than %d findings of one kind: only the first "
					 "%d of each are reported", KT_MAX_FINDINGS_PER_VERDICT,
					 KT_MAX_FINDINGS_PER_VERDICT);
		}
		return NULL;
	}
	struct kt_finding_draft *f = kt_arena_alloc(report->arena, sizeof(*f));
	if (!f || !kt_arena_grow(report->arena, (void **)&report->findings,
				 report->count, &report->capacity,
				 sizeof(*report->findings)))
		return NULL;
	f->arena = report->arena;
	f->log = analysis->log;
	f->claim = claim;
	f->event_line = event_line;
	f->rank = report->current_rank;
	f->pub.verdict = kt_arena_strdup(report->arena, verdict);
	f->pub.confidence = confidence;
	f->pub.sources = KT_FROM_LOG;
	report->findings[report->count++] = f;
	kt_finding_claim_event(f, event_line);
	return f;
}

char *kt_finding_strdup(struct kt_finding_draft *f, const char *s)
{
	return f ? kt_arena_strdup(f->arena, s) : NULL;
}


void kt_finding_confidence(struct kt_finding_draft *f, double confidence)
{
	if (f)
		f->pub.confidence = confidence < 0 ? 0 : confidence > 1 ? 1 : confidence;
}

void kt_finding_add_sources(struct kt_finding_draft *f, unsigned sources)
{
	if (f)
		f->pub.sources |= sources;
}

#define GROW(f, array, count, cap) \
	kt_arena_grow((f)->arena, (void **)&(array), (count), &(cap), sizeof(*(array)))

/* out = the text of a variadic adder's format and arguments, in the arena. */
#define FORMAT_ARGS(arena, fmt, out)					\
	do {								\
		va_list ap_;						\
		va_start(ap_, fmt);					\
		(out) = kt_arena_vprintf((arena), (fmt), ap_);		\
		va_end(ap_);						\
	} while (0)

void kt_finding_summary(struct kt_finding_draft *f, const char *fmt, ...)
{
	if (f)
		FORMAT_ARGS(f->arena, fmt, f->pub.summary);
}

/* Append text to a list of strings in the arena; NULL (out of memory) is dropped. */
static void push_text(struct kt_arena *arena, const char ***list, size_t *count, size_t *cap,
		      const char *text)
{
	if (text && kt_arena_grow(arena, (void **)list, *count, cap, sizeof(**list)))
		(*list)[(*count)++] = text;
}

void kt_finding_add_line(struct kt_finding_draft *f, size_t line)
{
	if (!f)
		return;
	const struct kt_log_line *l = kt_log_text_line(f->log, line);
	if (!l || f->pub.nr_lines >= MAX_LINES)
		return;
	for (size_t i = 0; i < f->pub.nr_lines; i++)
		if (f->pub.lines[i].number == l->number && strcmp(f->pub.lines[i].text, l->text) == 0)
			return;
	struct kt_evidence_line *lines = (struct kt_evidence_line *)f->pub.lines;
	if (!GROW(f, lines, f->pub.nr_lines, f->cap_lines))
		return;
	lines[f->pub.nr_lines++] = (struct kt_evidence_line){
		.number = l->number, .has_timestamp = l->has_timestamp,
		.ts_nsec = l->ts_nsec, .text = l->text,
	};
	f->pub.lines = lines;
}

/* Lines that add nothing for a reader of the evidence. */
static bool noise(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	static const char *const skip[] = {
		"? ", "Code: ", "RSP:", "RIP: 0033:", "RAX:", "RDX:", "RBP:", "R10:", "R13:", "FS: ",
		"CS: ", "PKRU:", "<TASK>", "</TASK>", "DR0:", "DR3:", "DR6:",
		"\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\"",
		"[<", "x2", "x1", "x9", "x8", "x7", "x6", "x5", "x4", "x3",
	};
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (strncmp(s, skip[i], strlen(skip[i])) == 0) {
			/* keep old-style frames "[<ffffffff81...>] fn+0x.." that are reliable */
			if (strcmp(skip[i], "[<") == 0)
				return strstr(s, "] ? ") != NULL;
			if (skip[i][0] == 'x')
				return strchr(s, ':') && isdigit((unsigned char)s[1]);
			return true;
		}
	return false;
}

void kt_finding_add_lines(struct kt_finding_draft *f, size_t first, size_t end)
{
	if (!f)
		return;
	for (size_t i = first; i < end && i < kt_log_text_count(f->log); i++) {
		const struct kt_log_line *l = kt_log_text_line(f->log, i);
		if (!noise(l->text))
			kt_finding_add_line(f, i);
	}
}

struct kt_evidence_task *kt_finding_task(struct kt_finding_draft *f, int32_t pid)
{
	if (!f)
		return NULL;
	for (size_t i = 0; i < f->pub.nr_tasks; i++)
		if (f->pub.tasks[i].pid == pid)
			return (struct kt_evidence_task *)&f->pub.tasks[i];
	return NULL;
}

struct kt_evidence_task *kt_finding_add_task(struct kt_finding_draft *f,
					     int32_t pid, const char *comm,
					     unsigned sources)
{
	if (!f)
		return NULL;
	struct kt_evidence_task *t = pid >= 0 ? kt_finding_task(f, pid) : NULL;
	if (t) {
		t->sources |= sources;
		return t;
	}
	struct kt_evidence_task *tasks = (struct kt_evidence_task *)f->pub.tasks;
	if (!GROW(f, tasks, f->pub.nr_tasks, f->cap_tasks))
		return NULL;
	t = &tasks[f->pub.nr_tasks++];
	*t = (struct kt_evidence_task){
		.pid = pid, .comm = kt_arena_strdup(f->arena, comm),
		.blocked_seconds = -1, .sources = sources,
	};
	f->pub.tasks = tasks;
	f->pub.sources |= sources;
	return t;
}

void kt_task_set_frames(struct kt_finding_draft *f, struct kt_evidence_task *task,
			const struct kt_text_trace *trace)
{
	if (!f || !task || !trace->count)
		return;
	size_t n = trace->count < MAX_FRAMES ? trace->count : MAX_FRAMES;
	struct kt_evidence_frame *frames = kt_arena_alloc(f->arena, n * sizeof(*frames));
	if (!frames)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct kt_text_frame *t = &trace->frames[i];
		frames[i] = (struct kt_evidence_frame){
			.function = t->function, .offset = t->offset, .size = t->size,
			.module = t->module, .reliable = !t->unreliable,
		};
	}
	task->frames = frames;
	task->nr_frames = n;
}

struct kt_evidence_lock *kt_finding_add_lock(struct kt_finding_draft *f,
					     const char *symbol, const char *kind,
					     unsigned sources)
{
	if (!f)
		return NULL;
	for (size_t i = 0; symbol && i < f->pub.nr_locks; i++)
		if (f->pub.locks[i].symbol && strcmp(f->pub.locks[i].symbol, symbol) == 0) {
			struct kt_evidence_lock *l = (struct kt_evidence_lock *)&f->pub.locks[i];
			l->sources |= sources;
			return l;
		}
	struct kt_evidence_lock *locks = (struct kt_evidence_lock *)f->pub.locks;
	if (!GROW(f, locks, f->pub.nr_locks, f->cap_locks))
		return NULL;
	struct kt_evidence_lock *l = &locks[f->pub.nr_locks++];
	*l = (struct kt_evidence_lock){
		.symbol = kt_arena_strdup(f->arena, symbol),
		.kind = kt_arena_strdup(f->arena, kind),
		.owner_pid = -1, .sources = sources,
	};
	f->pub.locks = locks;
	f->pub.sources |= sources;
	return l;
}

void kt_finding_lock_waiter(struct kt_finding_draft *f, struct kt_evidence_lock *lock,
			int32_t pid)
{
	if (!f || !lock)
		return;
	for (size_t i = 0; i < lock->nr_waiters; i++)
		if (lock->waiter_pids[i] == pid)
			return;
	int32_t *pids = kt_arena_alloc(f->arena, (lock->nr_waiters + 1) * sizeof(*pids));
	if (!pids)
		return;
	if (lock->nr_waiters)
		memcpy(pids, lock->waiter_pids, lock->nr_waiters * sizeof(*pids));
	pids[lock->nr_waiters++] = pid;
	lock->waiter_pids = pids;
}

static void add_pair(struct kt_finding_draft *f, const struct kt_fact **array,
		     size_t *count, size_t *cap, const char *key, char *value, unsigned sources)
{
	if (!value)
		return;
	struct kt_fact *facts = (struct kt_fact *)*array;
	for (size_t i = 0; i < *count; i++)
		if (strcmp(facts[i].key, key) == 0) {
			facts[i].value = value; /* the later, better-informed value wins */
			facts[i].sources = sources;
			return;
		}
	if (!GROW(f, facts, *count, *cap))
		return;
	facts[(*count)++] = (struct kt_fact){ kt_arena_strdup(f->arena, key), value, sources };
	*array = facts;
}

void kt_finding_fact(struct kt_finding_draft *f, const char *key, const char *fmt, ...)
{
	char *value;
	if (!f)
		return;
	FORMAT_ARGS(f->arena, fmt, value);
	add_pair(f, &f->pub.facts, &f->pub.nr_facts, &f->cap_facts, key, value, KT_FROM_LOG);
}

void kt_finding_fact_from(struct kt_finding_draft *f, unsigned sources, const char *key,
			  const char *fmt, ...)
{
	char *value;
	if (!f)
		return;
	FORMAT_ARGS(f->arena, fmt, value);
	add_pair(f, &f->pub.facts, &f->pub.nr_facts, &f->cap_facts, key, value, sources);
}

void kt_finding_register(struct kt_finding_draft *f, const char *name, const char *value)
{
	if (f)
		add_pair(f, &f->pub.registers, &f->pub.nr_registers, &f->cap_registers,
			 name, kt_arena_strdup(f->arena, value), 0);
}

/*
 * A register line as the kernel prints it: "RAX: 0000 RBX: ffff...",
 * "FS:  0000(0000) GS:ffff8c29cf900000(0000) knlGS:0000", arm64 "x29: ...".
 */
static bool register_line(struct kt_finding_draft *f, const char *s)
{
	char copy[256];
	snprintf(copy, sizeof(copy), "%s", s);
	size_t added = 0;
	char *save = NULL;
	const char *pending = NULL;
	for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		size_t len = strlen(tok);
		char *colon = strchr(tok, ':');
		if (pending) {
			kt_finding_register(f, pending, tok);
			pending = NULL;
			added++;
		} else if (colon && colon == tok + len - 1 && len <= 9) {
			*colon = '\0';
			pending = tok;
		} else if (colon && colon > tok && colon - tok <= 8 && isupper((unsigned char)tok[0])) {
			*colon = '\0';
			kt_finding_register(f, tok, colon + 1);
			added++;
		} else {
			return added > 0;
		}
	}
	return added > 0;
}

void kt_finding_registers_from(struct kt_finding_draft *f, const struct kt_oops *oops)
{
	if (!f || !oops->has_rip)
		return;
	const char *rip = kt_log_text_line(f->log, oops->rip_line)->text;
	while (*rip == ' ')
		rip++;
	if (strncmp(rip, "RIP: ", 5) == 0)
		kt_finding_register(f, "RIP", rip + 5);
	for (size_t i = oops->rip_line + 1; i < oops->rip_line + 12 && i < oops->end; i++) {
		const struct kt_log_line *l = kt_log_text_line(f->log, i);
		if (!l || strncmp(l->text, "Code:", 5) == 0)
			continue;
		const char *s = l->text;
		while (*s == ' ')
			s++;
		if (strncmp(s, "Call Trace", 10) == 0 || strncmp(s, "Call trace", 10) == 0 ||
		    !register_line(f, s))
			break;
	}
}

void kt_finding_advice(struct kt_finding_draft *f, const char *fmt, ...)
{
	char *advice;
	if (!f)
		return;
	FORMAT_ARGS(f->arena, fmt, advice);
	const char **list = (const char **)f->pub.advice;
	push_text(f->arena, &list, &f->pub.nr_advice, &f->cap_advice, advice);
	f->pub.advice = list;
}

void kt_finding_sign(struct kt_finding_draft *f, const char *fmt, ...)
{
	char *part;
	if (!f)
		return;
	FORMAT_ARGS(f->arena, fmt, part);
	push_text(f->arena, &f->sign_parts, &f->nr_sign_parts, &f->cap_sign_parts, part);
}

void kt_finding_sign_frames(struct kt_finding_draft *f, const struct kt_text_frame *rip,
			    const struct kt_text_trace *trace, size_t max)
{
	char base[128], last[128] = "";
	size_t n = 0;
	if (rip && rip->function) {
		kt_function_base(rip->function, base, sizeof(base));
		kt_finding_sign(f, "frame:%s", base);
		snprintf(last, sizeof(last), "%s", base);
		n++;
	}
	for (size_t i = 0; trace && i < trace->count && n < max; i++) {
		const struct kt_text_frame *fr = &trace->frames[i];
		if (fr->unreliable || kt_function_is_plumbing(fr->function))
			continue;
		kt_function_base(fr->function, base, sizeof(base));
		if (strcmp(base, last) == 0)
			continue;
		kt_finding_sign(f, "frame:%s", base);
		snprintf(last, sizeof(last), "%s", base);
		n++;
	}
}

void kt_finding_claim_event(struct kt_finding_draft *f, size_t line)
{
	if (f && GROW(f, f->events, f->nr_events, f->cap_events))
		f->events[f->nr_events++] = line;
}

bool kt_analysis_event_claimed(const struct kt_analysis *analysis, size_t line)
{
	const struct kt_report *report = analysis->report;
	for (size_t i = 0; i < report->count; i++) {
		const struct kt_finding_draft *f = report->findings[i];
		for (size_t e = 0; e < f->nr_events; e++)
			if (f->events[e] == line)
				return true;
	}
	return false;
}

size_t kt_analysis_finding_count(const struct kt_analysis *analysis)
{
	return analysis->report->count;
}

enum kt_claim kt_analysis_finding_claim(const struct kt_analysis *analysis, size_t index)
{
	return analysis->report->findings[index]->claim;
}

void kt_analysis_note(struct kt_analysis *analysis, const char *fmt, ...)
{
	struct kt_report *report = analysis->report;
	char *note;
	FORMAT_ARGS(report->arena, fmt, note);
	report->input.partial = true;
	push_text(report->arena, &report->notes, &report->nr_notes, &report->cap_notes, note);
}

void kt_analysis_disagree(struct kt_analysis *analysis, const char *fmt, ...)
{
	struct kt_report *report = analysis->report;
	char *text;
	FORMAT_ARGS(report->arena, fmt, text);
	char *note = text ? kt_arena_printf(report->arena, "log and memory disagree: %s", text) : NULL;
	push_text(report->arena, &report->notes, &report->nr_notes, &report->cap_notes, note);
}
