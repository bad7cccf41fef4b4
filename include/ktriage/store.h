/* SPDX-License-Identifier: MIT */
/*
 * The findings store: one SQLite database (WAL) in the state directory,
 * written by ktriaged and read by `ktriage list/show`.
 *
 *   dumps      every input seen, once: identified by device, inode, size,
 *              mtime and a hash of its first 64 KiB; its state (queued,
 *              running, done, failed) and the latest analysis
 *   analyses   each run: when, by which ktriage version, its outcome
 *              (triaged, failed, timeout, crashed) and reason, the primary
 *              verdict, signature, summary and panic
 *   findings   each finding of an analysis, its evidence as JSON
 *
 * The schema is versioned (table schema_version) and migrated forward when
 * opened read-write; a database from a newer ktriage is refused.
 *
 * Exactly-once: the daemon claims a dump (state "running", attempts + 1)
 * in one transaction before it starts the analysis, and records the outcome
 * in one transaction after.  A dump found "running" at start-up was being
 * analysed when the daemon died: it is run again while attempts remain,
 * then recorded as failed.
 */
#ifndef KTRIAGE_STORE_H
#define KTRIAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ktriage/base.h"

struct json_object;
struct kt_store;

#define KT_STORE_DB_NAME "ktriage.db"
#define KT_STORE_SCHEMA_VERSION 3
#define KT_IDENTITY_HASH_BYTES (64 * 1024)

/* Read-only opens never create or migrate the database. */
struct kt_error *kt_store_open(const char *state_dir, bool read_only,
			       struct kt_store **out);
void kt_store_close(struct kt_store *store);
int kt_store_schema_version(struct kt_store *store);

struct kt_dump_identity {
	uint64_t device, inode, size;
	int64_t mtime_ns;
	char header_hash[65]; /* sha256 of the first KT_IDENTITY_HASH_BYTES, hex */
};

/* stat and hash a file (not following a final symlink). */
struct kt_error *kt_dump_identity_read(const char *path,
				       struct kt_dump_identity *out);
/* The same from a descriptor already open (the one a worker will read). */
struct kt_error *kt_dump_identity_read_fd(int fd, const char *path,
					  struct kt_dump_identity *out);
bool kt_dump_identity_equal(const struct kt_dump_identity *a,
			    const struct kt_dump_identity *b);

struct kt_store_input {
	const char *path;
	const char *kind;   /* "dump" or "log" */
	const char *layout; /* kt_layout_classify's name */
	struct kt_dump_identity identity;
};

/* Has this input been seen (in any state)?  *id is 0 when not. */
struct kt_error *kt_store_lookup(struct kt_store *store,
				 const struct kt_dump_identity *identity,
				 int64_t *id);

enum kt_claim {
	KT_CLAIM_RUN,     /* analyse it now: recorded as running */
	KT_CLAIM_KNOWN,   /* already triaged or failed: nothing to do */
	KT_CLAIM_GAVE_UP, /* interrupted max_attempts times: now recorded failed */
};

struct kt_error *kt_store_claim(struct kt_store *store,
				const struct kt_store_input *input,
				unsigned max_attempts, double now,
				int64_t *id, enum kt_claim *claim);

enum kt_outcome {
	KT_OUTCOME_TRIAGED,
	KT_OUTCOME_FAILED,   /* the analysis reported an error (corrupt dump...) */
	KT_OUTCOME_TIMEOUT,  /* killed at the wall-time limit */
	KT_OUTCOME_CRASHED,  /* the worker died of a signal or exited oddly */
};
const char *kt_outcome_name(enum kt_outcome outcome);

struct kt_store_analysis {
	enum kt_outcome outcome;
	const char *reason;        /* NULL when triaged */
	const char *tool_version;
	double started, finished;  /* seconds since the epoch */
	struct json_object *report;/* the analyze --json report; NULL unless triaged */
	const char *report_path;   /* NULL when none was written */
};

/*
 * What the sinks read of a report (the analyze --json document), typed: the
 * one place that knows its keys (lib/services/report_fields.c).  Strings
 * point into the report; NULL where it has no such field.
 */
struct kt_report_fields {
	const char *verdict, *signature, *summary;
	bool has_confidence;
	double confidence;
	const char *confidence_text; /* as the JSON spells it */
	const char *panic;           /* top-level, or the input's */
	const char *host, *kernel_release;
};
void kt_report_json_fields(struct json_object *report, struct kt_report_fields *out);

struct kt_report_finding_fields {
	struct json_object *json;    /* the finding itself */
	const char *verdict, *signature, *summary;
	bool has_confidence;
	double confidence;
	const char *confidence_text;
	bool primary;
};
size_t kt_report_json_nr_findings(struct json_object *report);
/* false when there is no finding at index. */
bool kt_report_json_finding(struct json_object *report, size_t index,
		       struct kt_report_finding_fields *out);

/* Record the outcome of the running dump id; *analysis_id may be NULL. */
struct kt_error *kt_store_finish(struct kt_store *store, int64_t id,
				 const struct kt_store_analysis *analysis,
				 int64_t *analysis_id);
/* The daemon stops cleanly mid-analysis: back to queued, attempt not spent. */
struct kt_error *kt_store_release(struct kt_store *store, int64_t id);
/* Analyse a dump again (ktriage retriage): queued with fresh attempts. */
struct kt_error *kt_store_requeue(struct kt_store *store, int64_t id);

/*
 * The outbox.  Every analysis kt_store_finish records queues one alert in the
 * same transaction: no alert for a result that was not stored, and none lost
 * by a crash after the commit.  The daemon delivers it to each sink (the
 * journal, the hook) and marks that sink done; what is not marked is
 * delivered again after a restart.  alert_id (KTRIAGE_ID) is stable: a hash
 * of the dump's identity and how many analyses it had before, so the same
 * alert has the same id even from a database rebuilt after corruption.
 */
enum kt_alert_sink { KT_ALERT_JOURNAL, KT_ALERT_HOOK };
struct kt_store_alert {
	int64_t id, dump_id, analysis_id;
	char alert_id[33];
	char *report;              /* the report's JSON text; NULL unless triaged */
	double created;
	bool journal_pending, hook_pending;
};
/* Alerts with a sink not yet done, oldest first. */
struct kt_error *kt_store_pending_alerts(struct kt_store *store,
					 struct kt_store_alert **alerts, size_t *count);
struct kt_error *kt_store_alert_done(struct kt_store *store, int64_t id,
				     enum kt_alert_sink sink, double now);
void kt_store_alerts_free(struct kt_store_alert *alerts, size_t count);
/*
 * kt_store_open failed with KT_ERR_CORRUPT: move the database aside (as
 * *moved_to, with its -wal and -shm) and open a new one, which remembers the
 * alerts the old one had delivered, as far as they can still be read.
 */
struct kt_error *kt_store_rebuild(const char *state_dir, char **moved_to,
				  struct kt_store **out);

/* One dump and its latest analysis, for list, show and the daemon. */
struct kt_store_entry {
	int64_t id;
	char *path, *kind, *layout, *state;
	unsigned attempts;
	double first_seen;
	struct kt_dump_identity identity;
	int64_t analysis_id;       /* 0 when never analysed */
	char *outcome, *reason, *tool_version;
	char *verdict, *signature, *summary, *panic, *report_path;
	double confidence;         /* -1 when none */
	double started, finished;
};

struct kt_store_filter {
	double since;              /* analyses finished at or after; 0: all */
	const char *verdict;       /* NULL: all */
	bool unfinished_only;      /* queued or running dumps */
};

/* Dumps in order of id; free with kt_store_entries_free. */
struct kt_error *kt_store_list(struct kt_store *store,
			       const struct kt_store_filter *filter,
			       struct kt_store_entry **entries, size_t *count);
struct kt_error *kt_store_get(struct kt_store *store, int64_t id,
			      struct kt_store_entry *entry);
/* By id ("12"), or by path (as given, then resolved): the latest such dump. */
struct kt_error *kt_store_find(struct kt_store *store, const char *id_or_path,
			       struct kt_store_entry *entry);
void kt_store_entry_clear(struct kt_store_entry *entry);
void kt_store_entries_free(struct kt_store_entry *entries, size_t count);

struct kt_store_finding {
	bool primary;
	char *verdict, *signature, *summary;
	double confidence;
	char *evidence;            /* the finding as JSON text */
};
struct kt_error *kt_store_findings(struct kt_store *store, int64_t analysis_id,
				   struct kt_store_finding **findings,
				   size_t *count);
void kt_store_findings_free(struct kt_store_finding *findings, size_t count);

/*
 * Dumps per latest outcome, crashed host, kernel release, verdict and
 * signature (the Prometheus counters).
 */
struct kt_store_count {
	char *outcome, *verdict, *signature; /* verdict, signature NULL unless triaged */
	char *host, *kernel_release;         /* NULL when the report did not say */
	uint64_t count;
	double last_finished;
};
struct kt_error *kt_store_counts(struct kt_store *store,
				 struct kt_store_count **counts, size_t *count);
void kt_store_counts_free(struct kt_store_count *counts, size_t count);

/*
 * STATE/queue.json: the inputs ktriaged has seen but not yet recorded, with
 * their state ("settling", "waiting", "probing", "queued", "running"),
 * written by the daemon for `ktriage list`.
 */
#define KT_PENDING_FILE "queue.json"
struct kt_pending_job {
	char *path, *kind, *state;
	double since;              /* when the daemon first saw it */
};
/* None (and no error) when the file is absent or the daemon that wrote it is gone. */
struct kt_error *kt_pending_read(const char *state_dir, struct kt_pending_job **jobs,
				 size_t *count);
void kt_pending_free(struct kt_pending_job *jobs, size_t count);

#endif
