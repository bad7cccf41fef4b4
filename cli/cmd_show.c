// SPDX-License-Identifier: MIT
/* ktriage show: one dump from ktriaged's store, as coredumpctl info shows a core. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ktriage/services.h"

static void add_string(struct json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, kt_json_escaped(value));
}

static struct json_object *analysis_json(const struct kt_store_entry *e)
{
	if (!e->analysis_id)
		return NULL;
	struct json_object *a = json_object_new_object();
	json_object_object_add(a, "id", json_object_new_int64(e->analysis_id));
	add_string(a, "outcome", e->outcome);
	add_string(a, "reason", e->reason);
	add_string(a, "tool_version", e->tool_version);
	json_object_object_add(a, "started", json_object_new_double(e->started));
	json_object_object_add(a, "finished", json_object_new_double(e->finished));
	add_string(a, "verdict", e->verdict);
	add_string(a, "signature", e->signature);
	add_string(a, "summary", e->summary);
	json_object_object_add(a, "confidence",
			       e->confidence >= 0 ? json_object_new_double(e->confidence) : NULL);
	add_string(a, "panic", e->panic);
	add_string(a, "report", e->report_path);
	return a;
}

static struct json_object *findings_json(const struct kt_store_finding *f, size_t n)
{
	struct json_object *array = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *evidence = json_tokener_parse(f[i].evidence ? f[i].evidence : "");
		json_object_array_add(array, evidence ? evidence : json_object_new_object());
	}
	return array;
}

static struct json_object *entry_json(const struct kt_store_entry *e,
				      const struct kt_store_finding *f, size_t n)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(e->id));
	kt_json_add_path(o, "dump", e->path);
	add_string(o, "kind", e->kind);
	add_string(o, "layout", e->layout);
	add_string(o, "state", kt_cli_dump_status(e));
	json_object_object_add(o, "attempts", json_object_new_int((int)e->attempts));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)e->identity.size));
	json_object_object_add(o, "first_seen", json_object_new_double(e->first_seen));
	add_string(o, "header_sha256", e->identity.header_hash);
	json_object_object_add(o, "analysis", analysis_json(e));
	json_object_object_add(o, "findings", findings_json(f, n));
	return o;
}

static void field(const char *name, const char *value)
{
	if (value && *value)
		printf("%14s: %s\n", name, kt_cli_safe(value));
}

static void print_text(const struct kt_store_entry *e, const struct kt_store_finding *f,
		       size_t n)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%lld", (long long)e->id);
	field("ID", buf);
	field("Dump", e->path);
	snprintf(buf, sizeof(buf), "%s (%s layout)", e->kind, e->layout);
	field("Kind", buf);
	snprintf(buf, sizeof(buf), "%llu bytes", (unsigned long long)e->identity.size);
	field("Size", buf);
	kt_cli_format_time(e->first_seen, buf, sizeof(buf));
	field("First seen", buf);
	field("State", kt_cli_dump_status(e));
	field("Reason", e->reason);
	if (e->verdict) {
		snprintf(buf, sizeof(buf), "%s (confidence %.2f)", e->verdict, e->confidence);
		field("Verdict", buf);
	}
	field("Signature", e->signature);
	field("Summary", e->summary);
	field("Panic", e->panic);
	if (e->analysis_id) {
		char when[64];
		kt_cli_format_time(e->finished, when, sizeof(when));
		snprintf(buf, sizeof(buf), "%s by ktriage %s in %.1f s", when,
			 e->tool_version ? e->tool_version : "?", e->finished - e->started);
		field("Analysed", buf);
	}
	field("Report", e->report_path);
	for (size_t i = 0; i < n; i++)
		printf("%14s  %s %s (%.2f): %s\n", i ? "" : "Findings:", f[i].primary ? "*" : "-",
		       kt_cli_safe(f[i].verdict), f[i].confidence,
		       f[i].summary ? kt_cli_safe(f[i].summary) : "");
}

int kt_cmd_show(int argc, char **argv)
{
	struct kt_cli_opts opts;
	int status = kt_cli_parse_store_opts("show", true, argc, argv, &opts);
	if (status)
		return status;
	char *dir = kt_cli_state_dir(opts.state_dir);
	struct kt_store *store;
	struct kt_error *err = kt_store_open(dir, true, &store);
	free(dir);
	if (err)
		return kt_cli_fail(err);
	struct kt_store_entry e;
	struct kt_store_finding *findings = NULL;
	size_t n = 0;
	err = kt_store_find(store, opts.dump, &e);
	if (!err && e.analysis_id && (err = kt_store_findings(store, e.analysis_id, &findings, &n)))
		kt_store_entry_clear(&e);
	kt_store_close(store);
	if (err)
		return kt_cli_fail(err);
	if (opts.json)
		kt_cli_print_json(entry_json(&e, findings, n));
	else
		print_text(&e, findings, n);
	kt_store_findings_free(findings, n);
	kt_store_entry_clear(&e);
	return KT_EXIT_OK;
}
