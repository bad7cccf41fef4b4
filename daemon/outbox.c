// SPDX-License-Identifier: MIT
/*
 * Alerts, exactly once.  The store queues an alert with every result it
 * records, in the same transaction (store.h); here each pending alert is
 * delivered to the journal, marked, delivered to the hook, marked.  A crash
 * anywhere leaves the unmarked sinks for the next start, which delivers
 * them again.  Before any journal entry is sent, the journal is searched
 * for one with the same KTRIAGE_ID: an earlier run may have sent it just
 * before it died, or before its database was lost and rebuilt (the id is
 * derived from the dump, so the repeat has the same).  The hook is marked when it has been started: it runs on by itself
 * (a daemon's death does not kill it), so starting it again would call it
 * twice.
 */
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "ktriaged.h"

void fault_point(const char *name)
{
	const char *at = getenv("KTRIAGED_TEST_KILL_AT");
	if (at && strcmp(at, name) == 0)
		raise(SIGKILL);
}

static enum kt_outcome outcome_from_name(const char *name)
{
	static const enum kt_outcome all[] = { KT_OUTCOME_TRIAGED, KT_OUTCOME_FAILED,
					       KT_OUTCOME_TIMEOUT, KT_OUTCOME_CRASHED };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (name && strcmp(name, kt_outcome_name(all[i])) == 0)
			return all[i];
	return KT_OUTCOME_CRASHED;
}

static void mark(struct manager *m, const struct kt_store_alert *a, enum kt_alert_sink sink)
{
	struct kt_error *err = kt_store_alert_done(m->store, a->id, sink, now_realtime());
	if (err) {
		log_error("alert %s: %s", a->alert_id, kt_error_string(err));
		kt_error_free(err);
	}
}

static void deliver_sinks(struct manager *m, const struct kt_store_alert *a,
			  const struct finished_job *job, const char *report_path)
{
	if (a->journal_pending) {
		if (!m->config.journal)
			log_debug("alert %s: no journal entry (journal = no)", a->alert_id);
		else if (journal_has_alert(a->alert_id))
			log_info("%s: its journal entry (KTRIAGE_ID=%s) was sent before",
				 job->path, a->alert_id);
		else if (journal_record(job, report_path) < 0)
			log_debug("alert %s: the journal did not take it", a->alert_id);
		fault_point("journal-sent");
		mark(m, a, KT_ALERT_JOURNAL);
		fault_point("after-journal");
	}
	if (a->hook_pending) {
		hook_run(m, job, report_path);
		mark(m, a, KT_ALERT_HOOK);
		fault_point("after-hook");
	}
}

static void deliver(struct manager *m, const struct kt_store_alert *a)
{
	struct kt_store_entry e;
	struct kt_error *err = kt_store_get(m->store, a->dump_id, &e);
	if (err) {
		log_error("alert %s: %s", a->alert_id, kt_error_string(err));
		kt_error_free(err);
		return;
	}
	struct worker_result r = {
		.outcome = outcome_from_name(e.outcome), .reason = e.reason,
		.report = a->report ? json_tokener_parse(a->report) : NULL,
		.started = e.started, .finished = e.finished,
	};
	const struct finished_job job = {
		.dump_id = e.id, .path = e.path, .kind = e.kind, .layout = e.layout,
		.result = &r, .alert_id = a->alert_id,
	};
	deliver_sinks(m, a, &job, e.report_path);
	json_object_put(r.report);
	kt_store_entry_clear(&e);
}

void outbox_deliver(struct manager *m, bool recovering)
{
	struct kt_store_alert *alerts;
	size_t count;
	struct kt_error *err = kt_store_pending_alerts(m->store, &alerts, &count);
	if (err) {
		log_error("%s", kt_error_string(err));
		kt_error_free(err);
		return;
	}
	if (recovering && count)
		log_info("Delivering %zu alert%s left by the last run", count,
			 count == 1 ? "" : "s");
	for (size_t i = 0; i < count; i++)
		deliver(m, &alerts[i]);
	kt_store_alerts_free(alerts, count);
}
