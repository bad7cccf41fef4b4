// SPDX-License-Identifier: MIT
/*
 * Captured kernel logs and every analyzer: kt_log_text_parse on hostile
 * text, then kt_analyze_log (all analyzers, findings, signature), then
 * every field of every finding, as a sink reads them, and the report as
 * JSON and as text, as `ktriage analyze LOG` prints it.
 */
#include <json-c/json.h>
#include <stdlib.h>

#include "fuzz.h"
#include "ktriage/analyzer.h"

static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sink = fopen("/dev/null", "w");
	return 0;
}

static void read_string(const char *s)
{
	if (s)
		(void)strlen(s);
}

static void read_finding(const struct kt_finding *f)
{
	read_string(f->verdict);
	read_string(f->summary);
	read_string(f->signature);
	(void)kt_confidence_band(f->confidence);
	if (!(f->confidence >= 0 && f->confidence <= 1))
		abort();
	for (size_t i = 0; i < f->nr_lines; i++)
		read_string(f->lines[i].text);
	for (size_t i = 0; i < f->nr_tasks; i++) {
		const struct kt_evidence_task *t = &f->tasks[i];
		read_string(t->comm);
		read_string(t->state);
		read_string(t->role);
		read_string(t->waits_on);
		for (size_t j = 0; j < t->nr_frames; j++) {
			read_string(t->frames[j].function);
			read_string(t->frames[j].module);
		}
	}
	for (size_t i = 0; i < f->nr_locks; i++) {
		const struct kt_evidence_lock *l = &f->locks[i];
		read_string(l->symbol);
		read_string(l->kind);
		read_string(l->owner_comm);
		read_string(l->note);
		for (size_t j = 0; j < l->nr_waiters; j++)
			(void)l->waiter_pids[j];
	}
	for (size_t i = 0; i < f->nr_facts; i++) {
		read_string(f->facts[i].key);
		read_string(f->facts[i].value);
	}
	for (size_t i = 0; i < f->nr_registers; i++) {
		read_string(f->registers[i].key);
		read_string(f->registers[i].value);
	}
	for (size_t i = 0; i < f->nr_advice; i++)
		read_string(f->advice[i]);
}

static void read_report(const struct kt_report *report)
{
	if (!kt_report_primary(report))
		abort(); /* never NULL, at worst "unknown" */
	const struct kt_report_input *input = kt_report_input(report);
	read_string(input->kernel_release);
	read_string(input->panic);
	for (size_t i = 0; i < kt_report_finding_count(report); i++)
		read_finding(kt_report_finding(report, i));
	for (size_t i = 0; i < kt_report_note_count(report); i++)
		read_string(kt_report_note(report, i));
	struct json_object *json;
	if (!kt_report_to_json(report, &json)) {
		(void)json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN);
		json_object_put(json);
	}
	if (sink)
		kt_report_print(report, sink);
}

static void check_lines(const char *text, size_t size)
{
	struct kt_log_text *log;
	if (kt_log_text_parse(text, size, &log))
		return;
	size_t count = kt_log_text_count(log);
	for (size_t i = 0; i < count; i++) {
		const struct kt_log_line *line = kt_log_text_line(log, i);
		(void)strlen(line->text);
		(void)strlen(line->raw);
		if (line->level < -1 || line->level > 7)
			abort();
	}
	(void)kt_log_text_is_kernel_log(log);
	kt_log_text_free(log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	check_lines(text, size);
	struct kt_report *report;
	struct kt_error *err = kt_analyze_log(text, size, "fuzz.log", &report);
	if (!err) {
		read_report(report);
		kt_report_free(report);
	}
	fuzz_drop(err);
	free(text);
	return 0;
}
