// SPDX-License-Identifier: MIT
/*
 * One journal entry per dump, with a fixed MESSAGE_ID so that
 *   journalctl MESSAGE_ID=bceb464aba9b42369946f2d1b7176d75
 * lists every triaged crash of a machine, and `journalctl -x` explains it
 * (systemd/ktriage.catalog).  Dumps that could not be triaged have their
 * own MESSAGE_ID.  PRIORITY follows the verdict: a machine check is an
 * alert, a crash is critical, a deliberate sysrq crash only a notice.
 * Every value is escaped (escape.h); KTRIAGE_DUMP_BASE64 holds the raw
 * bytes of a path that escaping changed.
 * KTRIAGE_ID is the alert's stable id (store.h): a repeat after a crash
 * carries the same one.
 * Fields: KTRIAGE_VERDICT, KTRIAGE_SIGNATURE, KTRIAGE_DUMP, KTRIAGE_PANIC,
 * KTRIAGE_REPORT, and KTRIAGE_DUMP_ID, KTRIAGE_OUTCOME, KTRIAGE_SUMMARY,
 * KTRIAGE_CONFIDENCE, KTRIAGE_REASON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "ktriage/base.h"
#include "ktriaged.h"

#define MESSAGE_ID_TRIAGED "bceb464aba9b42369946f2d1b7176d75"
#define MESSAGE_ID_FAILED "0507386154fa4a3faced3fb23fe455e0"

static int verdict_priority(const char *verdict)
{
	if (!verdict)
		return LOG_ERR;
	if (strcmp(verdict, "mce") == 0)
		return LOG_ALERT;
	if (strcmp(verdict, "sysrq") == 0)
		return LOG_NOTICE;
	if (strcmp(verdict, "unknown") == 0)
		return LOG_ERR;
	return LOG_CRIT;
}

struct fields {
	struct iovec iov[20];
	size_t n;
};

/* Every value escaped (escape.h): what journalctl shows is what is there. */
static void add(struct fields *f, const char *key, const char *value)
{
	if (!value || f->n >= sizeof(f->iov) / sizeof(f->iov[0]))
		return;
	char *field, *escaped = kt_escape(value);
	int n = escaped ? asprintf(&field, "%s=%s", key, escaped) : -1;
	free(escaped);
	if (n < 0)
		return;
	f->iov[f->n++] = (struct iovec){ .iov_base = field, .iov_len = strlen(field) };
}

/* A path that escaping changed: its raw bytes too, in base64. */
static void add_raw_path(struct fields *f, const char *key, const char *path)
{
	if (!kt_escape_needed(path, strlen(path), 0))
		return;
	char *raw = kt_base64(path, strlen(path));
	add(f, key, raw);
	free(raw);
}

int journal_record(const struct finished_job *job, const char *report_path)
{
	const struct worker_result *r = job->result;
	bool triaged = r->outcome == KT_OUTCOME_TRIAGED;
	struct kt_report_fields report;
	kt_report_json_fields(triaged ? r->report : NULL, &report);
	const char *verdict = report.verdict;
	struct fields f = { .n = 0 };
	char message[1024], number[32];
	if (triaged)
		snprintf(message, sizeof(message), "Kernel crash dump %s: %s: %s", job->path,
			 verdict ? verdict : "unknown", report.summary ?: "");
	else
		snprintf(message, sizeof(message), "Kernel crash dump %s could not be triaged (%s): %s",
			 job->path, kt_outcome_name(r->outcome), r->reason ? r->reason : "");
	add(&f, "MESSAGE", message);
	add(&f, "MESSAGE_ID", triaged ? MESSAGE_ID_TRIAGED : MESSAGE_ID_FAILED);
	snprintf(number, sizeof(number), "%d", triaged ? verdict_priority(verdict) : LOG_WARNING);
	add(&f, "PRIORITY", number);
	add(&f, "SYSLOG_IDENTIFIER", "ktriaged");
	add(&f, "KTRIAGE_ID", job->alert_id);
	add(&f, "KTRIAGE_DUMP", job->path);
	add_raw_path(&f, "KTRIAGE_DUMP_BASE64", job->path);
	snprintf(number, sizeof(number), "%lld", (long long)job->dump_id);
	add(&f, "KTRIAGE_DUMP_ID", number);
	add(&f, "KTRIAGE_OUTCOME", kt_outcome_name(r->outcome));
	add(&f, "KTRIAGE_VERDICT", verdict);
	add(&f, "KTRIAGE_SIGNATURE", report.signature);
	add(&f, "KTRIAGE_SUMMARY", report.summary);
	add(&f, "KTRIAGE_CONFIDENCE", report.confidence_text);
	add(&f, "KTRIAGE_PANIC", report.panic);
	add(&f, "KTRIAGE_REPORT", report_path);
	add(&f, "KTRIAGE_REASON", triaged ? NULL : r->reason);
	int ret = sd_journal_sendv(f.iov, (int)f.n);
	if (ret < 0)
		log_debug("No journal entry for %s: %s", job->path, strerror(-ret));
	for (size_t i = 0; i < f.n; i++)
		free(f.iov[i].iov_base);
	return ret;
}

bool journal_has_alert(const char *alert_id)
{
	sd_journal *j;
	char match[64];
	snprintf(match, sizeof(match), "KTRIAGE_ID=%s", alert_id);
	if (sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY) < 0)
		return false;
	bool found = sd_journal_add_match(j, match, 0) >= 0 && sd_journal_next(j) > 0;
	sd_journal_close(j);
	return found;
}
