// SPDX-License-Identifier: MIT
/* The report as JSON (schema/report.schema.json, KT_REPORT_SCHEMA_VERSION). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "report.h"

#ifndef KT_VERSION
#define KT_VERSION "0"
#endif

/* Strings come from the dump and the log: escaped (escape.h), valid UTF-8 always. */
static struct json_object *string_or_null(const char *s)
{
	return kt_json_escaped(s);
}

static struct json_object *hex(uint64_t value)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%" PRIx64, value);
	return json_object_new_string(buf);
}

static struct json_object *sources(unsigned mask)
{
	struct json_object *list = json_object_new_array();
	if (mask & KT_FROM_LOG)
		json_object_array_add(list, json_object_new_string("log"));
	if (mask & KT_FROM_MEMORY)
		json_object_array_add(list, json_object_new_string("memory"));
	return list;
}

static struct json_object *line_json(const struct kt_evidence_line *l)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "line", json_object_new_uint64(l->number));
	if (l->has_timestamp) {
		char ts[32];
		snprintf(ts, sizeof(ts), "%" PRIu64 ".%06" PRIu64, l->ts_nsec / 1000000000,
			 l->ts_nsec % 1000000000 / 1000);
		json_object_object_add(o, "timestamp",
				       json_object_new_double_s((double)l->ts_nsec / 1e9, ts));
	} else {
		json_object_object_add(o, "timestamp", NULL);
	}
	json_object_object_add(o, "text", kt_json_escaped(l->text));
	return o;
}

static struct json_object *frame_json(const struct kt_evidence_frame *f)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "function", kt_json_escaped(f->function));
	json_object_object_add(o, "offset", hex(f->offset));
	if (f->size)
		json_object_object_add(o, "size", hex(f->size));
	if (f->module)
		json_object_object_add(o, "module", kt_json_escaped(f->module));
	json_object_object_add(o, "reliable", json_object_new_boolean(f->reliable));
	return o;
}

static struct json_object *task_json(const struct kt_evidence_task *t)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "pid", t->pid >= 0 ? json_object_new_int(t->pid) : NULL);
	json_object_object_add(o, "comm", string_or_null(t->comm));
	json_object_object_add(o, "state", string_or_null(t->state));
	json_object_object_add(o, "role", string_or_null(t->role));
	json_object_object_add(o, "blocked_seconds", t->blocked_seconds >= 0
				       ? json_object_new_int64(t->blocked_seconds) : NULL);
	json_object_object_add(o, "waits_on", string_or_null(t->waits_on));
	struct json_object *frames = json_object_new_array();
	for (size_t i = 0; i < t->nr_frames; i++)
		json_object_array_add(frames, frame_json(&t->frames[i]));
	json_object_object_add(o, "frames", frames);
	json_object_object_add(o, "sources", sources(t->sources));
	return o;
}

static struct json_object *lock_json(const struct kt_evidence_lock *l)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "symbol", string_or_null(l->symbol));
	json_object_object_add(o, "address", l->address ? hex(l->address) : NULL);
	json_object_object_add(o, "kind", string_or_null(l->kind));
	json_object_object_add(o, "owner_pid", l->owner_pid >= 0 ? json_object_new_int(l->owner_pid) : NULL);
	json_object_object_add(o, "owner_comm", string_or_null(l->owner_comm));
	json_object_object_add(o, "owner_word", l->has_owner_word ? hex(l->owner_word) : NULL);
	struct json_object *waiters = json_object_new_array();
	for (size_t i = 0; i < l->nr_waiters; i++)
		json_object_array_add(waiters, json_object_new_int(l->waiter_pids[i]));
	json_object_object_add(o, "waiter_pids", waiters);
	json_object_object_add(o, "note", string_or_null(l->note));
	json_object_object_add(o, "sources", sources(l->sources));
	return o;
}

static struct json_object *pairs_json(const struct kt_fact *pairs, size_t count)
{
	struct json_object *o = json_object_new_object();
	for (size_t i = 0; i < count; i++)
		json_object_object_add(o, pairs[i].key, kt_json_escaped(pairs[i].value));
	return o;
}

/* Where each fact came from: "log", "memory" or "both" (the memory producer's word). */
static struct json_object *fact_sources_json(const struct kt_fact *facts, size_t count)
{
	struct json_object *o = json_object_new_object();
	for (size_t i = 0; i < count; i++) {
		unsigned m = facts[i].sources ? facts[i].sources : KT_FROM_LOG;
		const char *from = (m & KT_FROM_LOG) && (m & KT_FROM_MEMORY) ? "both"
				   : m & KT_FROM_MEMORY ? "memory" : "log";
		json_object_object_add(o, facts[i].key, json_object_new_string(from));
	}
	return o;
}

static struct json_object *finding_json(const struct kt_finding *f)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "verdict", kt_json_escaped(f->verdict));
	json_object_object_add(o, "summary", kt_json_escaped(f->summary));
	char c[16];
	snprintf(c, sizeof(c), "%.2f", f->confidence);
	json_object_object_add(o, "confidence", json_object_new_double_s(f->confidence, c));
	json_object_object_add(o, "confidence_level",
			       kt_json_escaped(kt_confidence_band(f->confidence)));
	json_object_object_add(o, "signature", string_or_null(f->signature));
	json_object_object_add(o, "primary", json_object_new_boolean(f->primary));
	json_object_object_add(o, "sources", sources(f->sources));
	struct json_object *evidence = json_object_new_object();
	struct json_object *lines = json_object_new_array();
	for (size_t i = 0; i < f->nr_lines; i++)
		json_object_array_add(lines, line_json(&f->lines[i]));
	json_object_object_add(evidence, "lines", lines);
	struct json_object *tasks = json_object_new_array();
	for (size_t i = 0; i < f->nr_tasks; i++)
		json_object_array_add(tasks, task_json(&f->tasks[i]));
	json_object_object_add(evidence, "tasks", tasks);
	struct json_object *locks = json_object_new_array();
	for (size_t i = 0; i < f->nr_locks; i++)
		json_object_array_add(locks, lock_json(&f->locks[i]));
	json_object_object_add(evidence, "locks", locks);
	json_object_object_add(evidence, "registers", pairs_json(f->registers, f->nr_registers));
	json_object_object_add(evidence, "facts", pairs_json(f->facts, f->nr_facts));
	json_object_object_add(evidence, "fact_sources", fact_sources_json(f->facts, f->nr_facts));
	json_object_object_add(o, "evidence", evidence);
	struct json_object *advice = json_object_new_array();
	for (size_t i = 0; i < f->nr_advice; i++)
		json_object_array_add(advice, kt_json_escaped(f->advice[i]));
	json_object_object_add(o, "advice", advice);
	return o;
}

static struct json_object *input_json(const struct kt_report_input *in)
{
	struct json_object *o = json_object_new_object();
	kt_json_add_path(o, "file", in->file);
	json_object_object_add(o, "kind", kt_json_escaped(in->kind));
	json_object_object_add(o, "kernel_release", string_or_null(in->kernel_release));
	json_object_object_add(o, "host", string_or_null(in->host));
	json_object_object_add(o, "log_source", kt_json_escaped(in->log_source));
	json_object_object_add(o, "partial", json_object_new_boolean(in->partial));
	return o;
}

struct kt_error *kt_report_to_json(const struct kt_report *report, struct json_object **out)
{
	const struct kt_finding *primary = kt_report_primary(report);
	struct json_object *o = json_object_new_object();
	if (!o)
		return &kt_error_out_of_memory;
	json_object_object_add(o, "schema_version", json_object_new_int(KT_REPORT_SCHEMA_VERSION));
	struct json_object *tool = json_object_new_object();
	json_object_object_add(tool, "name", json_object_new_string("ktriage"));
	json_object_object_add(tool, "version", kt_json_escaped(KT_VERSION));
	json_object_object_add(o, "tool", tool);
	json_object_object_add(o, "input", input_json(&report->input));
	json_object_object_add(o, "verdict", kt_json_escaped(primary->verdict));
	json_object_object_add(o, "signature", string_or_null(primary->signature));
	json_object_object_add(o, "summary", kt_json_escaped(primary->summary));
	char c[16];
	snprintf(c, sizeof(c), "%.2f", primary->confidence);
	json_object_object_add(o, "confidence", json_object_new_double_s(primary->confidence, c));
	json_object_object_add(o, "confidence_level",
			       kt_json_escaped(kt_confidence_band(primary->confidence)));
	json_object_object_add(o, "panic", string_or_null(report->input.panic));
	struct json_object *findings = json_object_new_array();
	for (size_t i = 0; i < report->count; i++)
		json_object_array_add(findings, finding_json(&report->findings[i]->pub));
	json_object_object_add(o, "findings", findings);
	struct json_object *notes = json_object_new_array();
	for (size_t i = 0; i < report->nr_notes; i++)
		json_object_array_add(notes, kt_json_escaped(report->notes[i]));
	json_object_object_add(o, "notes", notes);
	*out = o;
	return NULL;
}
