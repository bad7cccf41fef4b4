// SPDX-License-Identifier: MIT
/*
 * A job is finished: write its report, record it in the store with its
 * alert (the commit point: from here on a restart will not analyse it
 * again, and the alert is in the outbox), then update the Prometheus
 * textfile and deliver the outbox (outbox.c) to the journal and the hook.
 * A result the store could not record is not alerted: the dump stays
 * claimed and is analysed again after a restart.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktriaged.h"

static bool store_record(struct manager *m, const struct finished_job *job,
			 const char *report_path)
{
	const struct worker_result *r = job->result;
	const struct kt_store_analysis analysis = {
		.outcome = r->outcome,
		.reason = r->reason,
		.tool_version = KT_VERSION,
		.started = r->started,
		.finished = r->finished,
		.report = r->outcome == KT_OUTCOME_TRIAGED ? r->report : NULL,
		.report_path = report_path,
	};
	struct kt_error *err = kt_store_finish(m->store, job->dump_id, &analysis, NULL);
	if (err) {
		log_error("%s: failed to record the analysis, so no alert: %s", job->path,
			  kt_error_string(err));
		kt_error_free(err);
		return false;
	}
	return true;
}

/*
 * A reason without the path the log line already starts with (the dump
 * reader names the file in its messages, maybe after a prefix).
 */
const char *reason_without_path(const char *path, const char *reason, char *buf, size_t size)
{
	const char *at = strstr(reason, path);
	size_t len = strlen(path);
	if (!at || strncmp(at + len, ": ", 2) != 0)
		return reason;
	snprintf(buf, size, "%.*s%s", (int)(at - reason), reason, at + len + 2);
	return buf;
}

static void log_outcome(const struct finished_job *job)
{
	const struct worker_result *r = job->result;
	char why[1024];
	struct kt_report_fields f;
	kt_report_json_fields(r->report, &f);
	if (r->outcome == KT_OUTCOME_TRIAGED)
		log_notice("%s: %s (%s): %s", job->path, f.verdict ?: "unknown",
			   f.signature ?: "no signature", f.summary ?: "");
	else
		log_warning("%s: triage %s: %s", job->path, kt_outcome_name(r->outcome),
			    reason_without_path(job->path, r->reason ? r->reason : "no reason given",
						why, sizeof(why)));
}

void outputs_record(struct manager *m, const struct finished_job *job)
{
	const struct worker_result *r = job->result;
	char *report_path = NULL;
	if (r->outcome == KT_OUTCOME_TRIAGED && !r->report) {
		/* Not a report at all: never store a triage without one. */
		log_error("%s: no report from the worker", job->path);
		return;
	}
	if (r->outcome == KT_OUTCOME_TRIAGED && m->config.reports)
		report_write(m, job->dump_id, r->report, &report_path);
	bool stored = job->already_stored || store_record(m, job, report_path);
	free(report_path);
	log_outcome(job);
	if (!stored)
		return;
	fault_point("after-record");
	prometheus_schedule(m);
	outbox_deliver(m, false);
}
