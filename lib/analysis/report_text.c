// SPDX-License-Identifier: MIT
/* The report as text: read like a good bug report, the proof under the claim. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define TEXT_MAX_LINES 60
#define TEXT_MAX_FRAMES 14

static const char *source_words(unsigned mask)
{
	if ((mask & KT_FROM_LOG) && (mask & KT_FROM_MEMORY))
		return "log and memory";
	return mask & KT_FROM_MEMORY ? "memory" : "log";
}

static void print_line(FILE *out, const struct kt_evidence_line *l)
{
	if (l->has_timestamp)
		fprintf(out, "    [%5" PRIu64 ".%06" PRIu64 "] %s\n", l->ts_nsec / 1000000000,
			l->ts_nsec % 1000000000 / 1000, l->text);
	else
		fprintf(out, "    %s\n", l->text);
}

static void print_frames(FILE *out, const struct kt_evidence_task *t)
{
	size_t shown = 0;
	for (size_t i = 0; i < t->nr_frames && shown < TEXT_MAX_FRAMES; i++) {
		const struct kt_evidence_frame *f = &t->frames[i];
		if (!f->reliable)
			continue;
		fprintf(out, "          %s+0x%" PRIx64 "%s%s%s\n", f->function, f->offset,
			f->module ? " [" : "", f->module ? f->module : "", f->module ? "]" : "");
		shown++;
	}
}

static void print_lock(FILE *out, const struct kt_evidence_lock *l)
{
	fprintf(out, "    %s", l->symbol ? l->symbol : "?");
	if (l->address)
		fprintf(out, " at 0x%" PRIx64, l->address);
	fprintf(out, " (%s)", l->kind ? l->kind : "lock");
	if (l->owner_pid >= 0)
		fprintf(out, ", owner %s:%d", l->owner_comm ? l->owner_comm : "?", l->owner_pid);
	if (l->has_owner_word)
		fprintf(out, ", owner word 0x%" PRIx64, l->owner_word);
	if (l->nr_waiters) {
		fprintf(out, ", waiters");
		for (size_t i = 0; i < l->nr_waiters; i++)
			fprintf(out, " %d", l->waiter_pids[i]);
	}
	fprintf(out, "  [%s]\n", source_words(l->sources));
	if (l->note)
		fprintf(out, "            %s\n", l->note);
}

static void print_evidence(FILE *out, const struct kt_finding *f)
{
	fprintf(out, "\nEvidence\n");
	if (f->nr_lines) {
		fprintf(out, "  Log\n");
		for (size_t i = 0; i < f->nr_lines && i < TEXT_MAX_LINES; i++)
			print_line(out, &f->lines[i]);
		if (f->nr_lines > TEXT_MAX_LINES)
			fprintf(out, "    ... %zu more lines (--json has them all)\n",
				f->nr_lines - TEXT_MAX_LINES);
	}
	if (f->nr_tasks) {
		fprintf(out, "  Tasks\n");
		for (size_t i = 0; i < f->nr_tasks; i++) {
			const struct kt_evidence_task *t = &f->tasks[i];
			fprintf(out, "    pid %-6d %-16s", t->pid, t->comm ? t->comm : "?");
			if (t->state)
				fprintf(out, " %s", t->state);
			if (t->blocked_seconds >= 0)
				fprintf(out, ", blocked %" PRId64 " s", t->blocked_seconds);
			fprintf(out, "  [%s]\n", source_words(t->sources));
			if (t->role)
				fprintf(out, "          %s\n", t->role);
			if (t->waits_on)
				fprintf(out, "          waits on %s\n", t->waits_on);
			print_frames(out, t);
		}
	}
	if (f->nr_locks) {
		fprintf(out, "  Locks\n");
		for (size_t i = 0; i < f->nr_locks; i++)
			print_lock(out, &f->locks[i]);
	}
	if (f->nr_registers) {
		fprintf(out, "  Registers\n    ");
		for (size_t i = 0; i < f->nr_registers; i++)
			fprintf(out, "%s%s %s", i && i % 3 == 0 ? "\n    " : i ? "  " : "",
				f->registers[i].key, f->registers[i].value);
		fputc('\n', out);
	}
	if (f->nr_facts) {
		fprintf(out, "  Facts\n");
		for (size_t i = 0; i < f->nr_facts; i++)
			fprintf(out, "    %-18s %s\n", f->facts[i].key, f->facts[i].value);
	}
}

static void print_report(const struct kt_report *report, FILE *out)
{
	const struct kt_report_input *in = &report->input;
	const struct kt_finding *p = kt_report_primary(report);
	fprintf(out, "%s (%s%s%s)\n\n", in->file, in->kind,
		in->kernel_release ? ", kernel " : "", in->kernel_release ? in->kernel_release : "");
	fprintf(out, "Verdict     %s\n", p->verdict);
	fprintf(out, "Summary     %s\n", p->summary);
	fprintf(out, "Confidence  %s (%.2f), from the %s\n", kt_confidence_band(p->confidence),
		p->confidence, source_words(p->sources));
	fprintf(out, "Signature   %s\n", p->signature ? p->signature : "-");
	if (in->panic)
		fprintf(out, "Panic       %s\n", in->panic);
	print_evidence(out, p);
	if (p->nr_advice) {
		fprintf(out, "\nWhat to do\n");
		for (size_t i = 0; i < p->nr_advice; i++)
			fprintf(out, "  - %s\n", p->advice[i]);
	}
	if (report->count > 1) {
		fprintf(out, "\nOther findings\n");
		for (size_t i = 1; i < report->count; i++) {
			const struct kt_finding *f = &report->findings[i]->pub;
			fprintf(out, "  %-20s %-6s %.2f  %s\n      %s\n", f->verdict,
				kt_confidence_band(f->confidence), f->confidence,
				f->signature ? f->signature : "-", f->summary);
		}
	}
	if (report->nr_notes) {
		fprintf(out, "\nNotes (evidence that could not be read)\n");
		for (size_t i = 0; i < report->nr_notes; i++)
			fprintf(out, "  - %s\n", report->notes[i]);
	}
}

/* Names and log text are the dump's: the terminal gets them escaped (escape.h). */
void kt_report_print(const struct kt_report *report, FILE *out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem) {
		print_report(report, out);
		return;
	}
	print_report(report, mem);
	if (fclose(mem) == 0)
		kt_escape_write(out, text, len, KT_ESCAPE_KEEP_LINES);
	free(text);
}
