// SPDX-License-Identifier: MIT
/*
 * The findings store: opening, migrating, and the daemon's writes (claim,
 * finish, release, requeue), each one transaction.  finish also queues the
 * result's alert in the outbox (store_outbox.c), in the same transaction.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_internal.h"

/*
 * Migrations, in order: migrations[i] takes the schema from version i to
 * i + 1.  Never edit one that has shipped; add the next.
 */
static const char *const migrations[] = {
	/* 1: dumps, analyses, findings. */
	"CREATE TABLE dumps ("
	"  id INTEGER PRIMARY KEY,"
	"  path TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  layout TEXT NOT NULL,"
	"  device INTEGER NOT NULL, inode INTEGER NOT NULL,"
	"  size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
	"  header_hash TEXT NOT NULL,"
	"  first_seen REAL NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('queued','running','done','failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  last_analysis INTEGER REFERENCES analyses(id),"
	"  UNIQUE (device, inode, size, mtime_ns, header_hash));"
	"CREATE TABLE analyses ("
	"  id INTEGER PRIMARY KEY,"
	"  dump_id INTEGER NOT NULL REFERENCES dumps(id),"
	"  started REAL NOT NULL, finished REAL NOT NULL,"
	"  tool_version TEXT NOT NULL,"
	"  outcome TEXT NOT NULL CHECK (outcome IN ('triaged','failed','timeout','crashed')),"
	"  reason TEXT,"
	"  verdict TEXT, signature TEXT, summary TEXT, confidence REAL, panic TEXT,"
	"  report_path TEXT);"
	"CREATE TABLE findings ("
	"  id INTEGER PRIMARY KEY,"
	"  analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,"
	"  position INTEGER NOT NULL,"
	"  is_primary INTEGER NOT NULL,"
	"  verdict TEXT NOT NULL, signature TEXT, summary TEXT, confidence REAL,"
	"  evidence TEXT NOT NULL);"
	"CREATE INDEX dumps_path ON dumps(path);"
	"CREATE INDEX dumps_state ON dumps(state);"
	"CREATE INDEX dumps_first_seen ON dumps(first_seen);"
	"CREATE INDEX analyses_dump ON analyses(dump_id);"
	"CREATE INDEX analyses_finished ON analyses(finished);"
	"CREATE INDEX analyses_signature ON analyses(signature);"
	"CREATE INDEX findings_analysis ON findings(analysis_id);"
	"CREATE INDEX findings_signature ON findings(signature);",
	/* 2: what alerting groups by: the crashed machine and its kernel. */
	"ALTER TABLE analyses ADD COLUMN host TEXT;"
	"ALTER TABLE analyses ADD COLUMN kernel_release TEXT;",
	/* 3: the outbox: one alert per recorded analysis (store_outbox.c). */
	"CREATE TABLE alerts ("
	"  id INTEGER PRIMARY KEY,"
	"  analysis_id INTEGER NOT NULL UNIQUE REFERENCES analyses(id),"
	"  dump_id INTEGER NOT NULL REFERENCES dumps(id),"
	"  alert_id TEXT NOT NULL,"
	"  report TEXT,"
	"  created REAL NOT NULL,"
	"  journal_done REAL, hook_done REAL);"
	"CREATE INDEX alerts_pending ON alerts(journal_done, hook_done);"
	/* Alerts a corrupt database had delivered, salvaged when it was moved aside. */
	"CREATE TABLE delivered_alerts ("
	"  alert_id TEXT PRIMARY KEY, journal_done REAL, hook_done REAL);",
};

#define NR_MIGRATIONS (int)(sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(NR_MIGRATIONS == KT_STORE_SCHEMA_VERSION,
	       "one migration per schema version");

/* A damaged file is KT_ERR_CORRUPT: the daemon moves it aside (main.c). */
static enum kt_error_code error_code(struct kt_store *store)
{
	int rc = sqlite3_errcode(store->db) & 0xff;
	return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? KT_ERR_CORRUPT : KT_ERR_IO;
}

struct kt_error *kt_store_error(struct kt_store *store, const char *what)
{
	return kt_error_create(error_code(store), "%s: %s: %s", store->path, what,
			       sqlite3_errmsg(store->db));
}

struct kt_error *kt_store_prepare(struct kt_store *store, const char *sql,
				  sqlite3_stmt **stmt)
{
	if (sqlite3_prepare_v2(store->db, sql, -1, stmt, NULL) != SQLITE_OK)
		return kt_store_error(store, "prepare");
	return NULL;
}

struct kt_error *kt_store_exec(struct kt_store *store, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(store->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return NULL;
	struct kt_error *err = kt_error_create(error_code(store), "%s: %s", store->path,
					       msg ? msg : sqlite3_errmsg(store->db));
	sqlite3_free(msg);
	return err;
}

static struct kt_error *begin(struct kt_store *store)
{
	return kt_store_exec(store, "BEGIN IMMEDIATE");
}

/* Commit when err is NULL, else roll back; returns err (or the commit's). */
static struct kt_error *end(struct kt_store *store, struct kt_error *err)
{
	if (err) {
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
		return err;
	}
	return kt_store_exec(store, "COMMIT");
}

int kt_store_schema_version(struct kt_store *store)
{
	sqlite3_stmt *stmt;
	int version = 0;
	if (sqlite3_prepare_v2(store->db, "SELECT max(version) FROM schema_version",
			       -1, &stmt, NULL) != SQLITE_OK)
		return 0; /* no table yet: an empty database */
	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return version;
}

static struct kt_error *migrate(struct kt_store *store)
{
	struct kt_error *err = kt_store_exec(store,
		"CREATE TABLE IF NOT EXISTS schema_version ("
		"  version INTEGER NOT NULL, applied REAL NOT NULL)");
	if (err)
		return err;
	for (;;) {
		if ((err = begin(store)))
			return err;
		int version = kt_store_schema_version(store);
		if (version > KT_STORE_SCHEMA_VERSION)
			return end(store, kt_error_create(KT_ERR_UNSUPPORTED,
				"%s: schema version %d is newer than this ktriage's (%d)",
				store->path, version, KT_STORE_SCHEMA_VERSION));
		if (version == KT_STORE_SCHEMA_VERSION)
			return end(store, NULL);
		err = kt_store_exec(store, migrations[version]);
		if (!err) {
			char sql[128];
			snprintf(sql, sizeof(sql),
				 "INSERT INTO schema_version VALUES (%d, %.3f)",
				 version + 1, (double)time(NULL));
			err = kt_store_exec(store, sql);
		}
		if (err)
			err = kt_error_wrap(err, "migration to schema version %d", version + 1);
		if ((err = end(store, err)))
			return err;
	}
}

static struct kt_error *configure(struct kt_store *store)
{
	sqlite3_busy_timeout(store->db, 10000);
	if (store->read_only)
		return kt_store_exec(store, "PRAGMA foreign_keys = ON");
	/* WAL: the CLI reads while the daemon writes; NORMAL is durable in WAL
	 * mode up to the last checkpointed transaction, and fast. */
	return kt_store_exec(store, "PRAGMA journal_mode = WAL;"
				    "PRAGMA synchronous = NORMAL;"
				    "PRAGMA foreign_keys = ON");
}

/* What a torn write or a bad disk left: found at start, not mid-run. */
static struct kt_error *quick_check(struct kt_store *store)
{
	sqlite3_stmt *stmt;
	struct kt_error *err = kt_store_prepare(store, "PRAGMA quick_check(1)", &stmt);
	if (err)
		return err;
	int rc = sqlite3_step(stmt);
	const unsigned char *result = rc == SQLITE_ROW ? sqlite3_column_text(stmt, 0) : NULL;
	if (rc != SQLITE_ROW)
		err = kt_store_error(store, "integrity check");
	else if (!result || strcmp((const char *)result, "ok") != 0)
		err = kt_error_create(KT_ERR_CORRUPT, "%s: integrity check: %s", store->path,
				      result ? (const char *)result : "no answer");
	sqlite3_finalize(stmt);
	return err;
}

struct kt_error *kt_store_open(const char *state_dir, bool read_only,
			       struct kt_store **out)
{
	struct kt_store *store = calloc(1, sizeof(*store));
	if (!store)
		return &kt_error_out_of_memory;
	store->read_only = read_only;
	if (asprintf(&store->path, "%s/%s", state_dir, KT_STORE_DB_NAME) < 0) {
		free(store);
		return &kt_error_out_of_memory;
	}
	struct kt_error *err = NULL;
	if (!read_only && mkdir(state_dir, 0750) < 0 && errno != EEXIST)
		err = kt_error_create(KT_ERR_IO, "%s: %m", state_dir);
	else if (read_only && access(store->path, F_OK) < 0)
		err = kt_error_create(KT_ERR_NOT_FOUND,
				      "%s: no database (has ktriaged run with this state directory?)",
				      store->path);
	if (err) {
		kt_store_close(store);
		return err;
	}
	int flags = read_only ? SQLITE_OPEN_READONLY
			      : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(store->path, &store->db, flags | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		err = kt_store_error(store, "open");
	else if (!(err = configure(store)) && !read_only && !(err = migrate(store)))
		err = quick_check(store);
	else if (!err && kt_store_schema_version(store) != KT_STORE_SCHEMA_VERSION)
		err = kt_error_create(KT_ERR_UNSUPPORTED,
				      "%s: schema version %d, this ktriage reads version %d",
				      store->path, kt_store_schema_version(store),
				      KT_STORE_SCHEMA_VERSION);
	if (err) {
		kt_store_close(store);
		return err;
	}
	*out = store;
	return NULL;
}

void kt_store_close(struct kt_store *store)
{
	if (!store)
		return;
	sqlite3_close(store->db);
	free(store->path);
	free(store);
}

const char *kt_outcome_name(enum kt_outcome outcome)
{
	switch (outcome) {
	case KT_OUTCOME_TRIAGED: return "triaged";
	case KT_OUTCOME_FAILED: return "failed";
	case KT_OUTCOME_TIMEOUT: return "timeout";
	case KT_OUTCOME_CRASHED: return "crashed";
	}
	return "unknown";
}

static void bind_identity(sqlite3_stmt *stmt, int first,
			  const struct kt_dump_identity *id)
{
	sqlite3_bind_int64(stmt, first, (sqlite3_int64)id->device);
	sqlite3_bind_int64(stmt, first + 1, (sqlite3_int64)id->inode);
	sqlite3_bind_int64(stmt, first + 2, (sqlite3_int64)id->size);
	sqlite3_bind_int64(stmt, first + 3, id->mtime_ns);
	sqlite3_bind_text(stmt, first + 4, id->header_hash, -1, SQLITE_STATIC);
}

/* The row of this identity: *id 0 when none; its state and attempts. */
static struct kt_error *find_identity(struct kt_store *store,
				      const struct kt_dump_identity *identity,
				      int64_t *id, char state[16], unsigned *attempts)
{
	sqlite3_stmt *stmt;
	struct kt_error *err = kt_store_prepare(store,
		"SELECT id, state, attempts FROM dumps WHERE device = ? AND inode = ?"
		" AND size = ? AND mtime_ns = ? AND header_hash = ?", &stmt);
	if (err)
		return err;
	bind_identity(stmt, 1, identity);
	*id = 0;
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(stmt, 0);
		if (state)
			snprintf(state, 16, "%s", (const char *)sqlite3_column_text(stmt, 1));
		if (attempts)
			*attempts = (unsigned)sqlite3_column_int(stmt, 2);
	} else if (rc != SQLITE_DONE) {
		err = kt_store_error(store, "look up a dump");
	}
	sqlite3_finalize(stmt);
	return err;
}

struct kt_error *kt_store_lookup(struct kt_store *store,
				 const struct kt_dump_identity *identity,
				 int64_t *id)
{
	return find_identity(store, identity, id, NULL, NULL);
}

/* Run one statement binding ?1 to an integer and ?2, when given, to a text. */
static struct kt_error *run(struct kt_store *store, const char *sql,
			    const char *what, int64_t a, const char *b)
{
	sqlite3_stmt *stmt;
	struct kt_error *err = kt_store_prepare(store, sql, &stmt);
	if (err)
		return err;
	sqlite3_bind_int64(stmt, 1, a);
	if (b)
		sqlite3_bind_text(stmt, 2, b, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		err = kt_store_error(store, what);
	sqlite3_finalize(stmt);
	return err;
}

static struct kt_error *insert_dump(struct kt_store *store,
				    const struct kt_store_input *input,
				    double now, int64_t *id)
{
	sqlite3_stmt *stmt;
	struct kt_error *err = kt_store_prepare(store,
		"INSERT INTO dumps (path, kind, layout, device, inode, size, mtime_ns,"
		" header_hash, first_seen, state, attempts)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', 1)", &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, input->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, input->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, input->layout ? input->layout : "plain", -1, SQLITE_STATIC);
	bind_identity(stmt, 4, &input->identity);
	sqlite3_bind_double(stmt, 9, now);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		err = kt_store_error(store, "record a dump");
	else
		*id = sqlite3_last_insert_rowid(store->db);
	sqlite3_finalize(stmt);
	return err;
}

static struct kt_error *give_up(struct kt_store *store, int64_t id,
				unsigned attempts, double now)
{
	char reason[160];
	snprintf(reason, sizeof(reason),
		 "the analysis was interrupted %u times (the daemon died during it); not retried",
		 attempts);
	const struct kt_store_analysis analysis = {
		.outcome = KT_OUTCOME_CRASHED,
		.reason = reason,
		.tool_version = KT_VERSION,
		.started = now,
		.finished = now,
	};
	return kt_store_finish(store, id, &analysis, NULL);
}

struct kt_error *kt_store_claim(struct kt_store *store,
				const struct kt_store_input *input,
				unsigned max_attempts, double now,
				int64_t *id, enum kt_claim *claim)
{
	struct kt_error *err = begin(store);
	if (err)
		return err;
	char state[16] = "";
	unsigned attempts = 0;
	err = find_identity(store, &input->identity, id, state, &attempts);
	if (err)
		return end(store, err);
	if (!*id) {
		*claim = KT_CLAIM_RUN;
		return end(store, insert_dump(store, input, now, id));
	}
	if (strcmp(state, "done") == 0 || strcmp(state, "failed") == 0) {
		*claim = KT_CLAIM_KNOWN;
		return end(store, NULL);
	}
	/* queued (retriage, clean stop) or running (the daemon died meanwhile) */
	if (strcmp(state, "running") == 0 && attempts >= max_attempts) {
		*claim = KT_CLAIM_GAVE_UP;
		return end(store, NULL) ?: give_up(store, *id, attempts, now);
	}
	*claim = KT_CLAIM_RUN;
	return end(store, run(store,
		"UPDATE dumps SET state = 'running', attempts = attempts + 1,"
		" path = ?2 WHERE id = ?1", "claim a dump", *id, input->path));
}

/* ---- Recording an outcome -------------------------------------------- */

static void bind_optional_double(sqlite3_stmt *stmt, int index, bool has, double v)
{
	if (has)
		sqlite3_bind_double(stmt, index, v);
	else
		sqlite3_bind_null(stmt, index);
}

static struct kt_error *insert_analysis(struct kt_store *store, int64_t id,
					const struct kt_store_analysis *a,
					int64_t *analysis_id)
{
	sqlite3_stmt *stmt;
	struct kt_error *err = kt_store_prepare(store,
		"INSERT INTO analyses (dump_id, started, finished, tool_version, outcome,"
		" reason, verdict, signature, summary, confidence, panic, report_path,"
		" host, kernel_release)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &stmt);
	if (err)
		return err;
	struct kt_report_fields r;
	kt_report_json_fields(a->report, &r);
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_double(stmt, 2, a->started);
	sqlite3_bind_double(stmt, 3, a->finished);
	sqlite3_bind_text(stmt, 4, a->tool_version ? a->tool_version : KT_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, kt_outcome_name(a->outcome), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, a->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, r.verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 8, r.signature, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 9, r.summary, -1, SQLITE_STATIC);
	bind_optional_double(stmt, 10, r.has_confidence, r.confidence);
	sqlite3_bind_text(stmt, 11, r.panic, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 12, a->report_path, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 13, r.host, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 14, r.kernel_release, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		err = kt_store_error(store, "record an analysis");
	else
		*analysis_id = sqlite3_last_insert_rowid(store->db);
	sqlite3_finalize(stmt);
	return err;
}

static struct kt_error *insert_findings(struct kt_store *store,
					int64_t analysis_id,
					struct json_object *report)
{
	size_t n = kt_report_json_nr_findings(report);
	if (!n)
		return NULL;
	sqlite3_stmt *stmt;
	struct kt_error *err = kt_store_prepare(store,
		"INSERT INTO findings (analysis_id, position, is_primary, verdict,"
		" signature, summary, confidence, evidence)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &stmt);
	if (err)
		return err;
	struct kt_report_finding_fields f;
	for (size_t i = 0; i < n && !err && kt_report_json_finding(report, i, &f); i++) {
		sqlite3_bind_int64(stmt, 1, analysis_id);
		sqlite3_bind_int64(stmt, 2, (sqlite3_int64)i);
		sqlite3_bind_int(stmt, 3, f.primary);
		sqlite3_bind_text(stmt, 4, f.verdict ? f.verdict : "unknown", -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 5, f.signature, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 6, f.summary, -1, SQLITE_STATIC);
		bind_optional_double(stmt, 7, f.has_confidence, f.confidence);
		sqlite3_bind_text(stmt, 8, json_object_to_json_string_ext(f.json, JSON_C_TO_STRING_PLAIN),
				  -1, SQLITE_TRANSIENT);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			err = kt_store_error(store, "record a finding");
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
	sqlite3_finalize(stmt);
	return err;
}

static struct kt_error *set_state(struct kt_store *store, int64_t id,
				  const char *state, int64_t analysis_id)
{
	sqlite3_stmt *stmt;
	struct kt_error *err = kt_store_prepare(store,
		"UPDATE dumps SET state = ?, last_analysis = ? WHERE id = ?", &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, analysis_id);
	sqlite3_bind_int64(stmt, 3, id);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		err = kt_store_error(store, "record a dump's state");
	sqlite3_finalize(stmt);
	return err;
}

struct kt_error *kt_store_finish(struct kt_store *store, int64_t id,
				 const struct kt_store_analysis *analysis,
				 int64_t *analysis_id)
{
	struct kt_error *err = begin(store);
	if (err)
		return err;
	int64_t aid = 0;
	err = insert_analysis(store, id, analysis, &aid);
	if (!err && analysis->outcome == KT_OUTCOME_TRIAGED)
		err = insert_findings(store, aid, analysis->report);
	if (!err)
		err = set_state(store, id, analysis->outcome == KT_OUTCOME_TRIAGED
						  ? "done" : "failed", aid);
	/* The alert commits with the result, or neither does. */
	if (!err)
		err = kt_store_queue_alert(store, id, aid, analysis);
	if ((err = end(store, err)))
		return err;
	if (analysis_id)
		*analysis_id = aid;
	return NULL;
}

struct kt_error *kt_store_release(struct kt_store *store, int64_t id)
{
	return run(store, "UPDATE dumps SET state = 'queued',"
			  " attempts = max(attempts - 1, 0)"
			  " WHERE id = ?1 AND state = 'running'",
		   "release a dump", id, NULL);
}

struct kt_error *kt_store_requeue(struct kt_store *store, int64_t id)
{
	sqlite3_stmt *stmt;
	struct kt_error *err = kt_store_prepare(store,
		"UPDATE dumps SET state = 'queued', attempts = 0 WHERE id = ?", &stmt);
	if (err)
		return err;
	sqlite3_bind_int64(stmt, 1, id);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		err = kt_store_error(store, "queue a dump again");
	else if (sqlite3_changes(store->db) == 0)
		err = kt_error_create(KT_ERR_NOT_FOUND, "%s: no dump %lld",
				      store->path, (long long)id);
	sqlite3_finalize(stmt);
	return err;
}
