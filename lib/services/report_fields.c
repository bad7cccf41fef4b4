// SPDX-License-Identifier: MIT
/*
 * The one reader of the report's JSON keys for the sinks (the store, the
 * journal, the hook, the daemon's log lines): the analyze --json document is
 * the contract between the analysis and everything that records or alerts
 * on it, so what its keys are, and where a schema version keeps the panic,
 * is known here once.
 */
#include <json-c/json.h>
#include <string.h>

#include "ktriage/store.h"

static struct json_object *member(struct json_object *obj, const char *key)
{
	struct json_object *v;
	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

static const char *text_of(struct json_object *obj, const char *key)
{
	struct json_object *v = member(obj, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* A number, and its text as the JSON has it ("0.95", not 0.9499999...). */
static bool number_of(struct json_object *obj, const char *key, double *value,
		      const char **text)
{
	struct json_object *v = member(obj, key);
	if (!v || !(json_object_is_type(v, json_type_double) ||
		    json_object_is_type(v, json_type_int)))
		return false;
	*value = json_object_get_double(v);
	*text = json_object_get_string(v);
	return true;
}

void kt_report_json_fields(struct json_object *report, struct kt_report_fields *out)
{
	memset(out, 0, sizeof(*out));
	struct json_object *input = member(report, "input");
	out->verdict = text_of(report, "verdict");
	out->signature = text_of(report, "signature");
	out->summary = text_of(report, "summary");
	out->has_confidence = number_of(report, "confidence", &out->confidence,
					&out->confidence_text);
	/* The panic string, wherever this schema version keeps it. */
	out->panic = text_of(report, "panic");
	if (!out->panic)
		out->panic = text_of(input, "panic");
	out->host = text_of(input, "host");
	out->kernel_release = text_of(input, "kernel_release");
}

size_t kt_report_json_nr_findings(struct json_object *report)
{
	struct json_object *findings = member(report, "findings");
	if (!findings || !json_object_is_type(findings, json_type_array))
		return 0;
	return json_object_array_length(findings);
}

bool kt_report_json_finding(struct json_object *report, size_t index,
		       struct kt_report_finding_fields *out)
{
	memset(out, 0, sizeof(*out));
	if (index >= kt_report_json_nr_findings(report))
		return false;
	struct json_object *f = json_object_array_get_idx(member(report, "findings"), index);
	struct json_object *primary = member(f, "primary");
	out->json = f;
	out->verdict = text_of(f, "verdict");
	out->signature = text_of(f, "signature");
	out->summary = text_of(f, "summary");
	out->has_confidence = number_of(f, "confidence", &out->confidence,
					&out->confidence_text);
	/* The schema puts the primary first when the finding does not say. */
	out->primary = primary ? json_object_get_boolean(primary) : index == 0;
	return true;
}
