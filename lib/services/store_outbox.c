// SPDX-License-Identifier: MIT
/*
 * The store's outbox (store.h): alerts queued with their result, delivered
 * by the daemon sink by sink.  An alert's id is derived, not drawn: the
 * same dump analysed for the same time gives the same KTRIAGE_ID, even from
 * a database that was rebuilt, so a consumer can drop a repeat.
 */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_internal.h"

/* sha256 of the dump's identity and its analysis ordinal, as 32 hex digits. */
static struct kt_error *derive_alert_id(struct kt_store *store, int64_t dump_id,
					int64_t analysis_id, char out[33])
{
	sqlite3_stmt *stmt;
	struct kt_error *err = kt_store_prepare(store,
		"SELECT d.device || '/' || d.inode || '/' || d.size || '/' || d.mtime_ns || '/' ||"
		" d.header_hash || '/' || (SELECT count(*) FROM analyses a"
		"  WHERE a.dump_id = d.id AND a.id < ?2)"
		" FROM dumps d WHERE d.id = ?1", &stmt);
	if (err)
		return err;
	sqlite3_bind_int64(stmt, 1, dump_id);
	sqlite3_bind_int64(stmt, 2, analysis_id);
	const unsigned char *key = NULL;
	if (sqlite3_step(stmt) != SQLITE_ROW || !(key = sqlite3_column_text(stmt, 0))) {
		err = kt_store_error(store, "derive an alert id");
		sqlite3_finalize(stmt);
		return err;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	if (!EVP_Digest(key, strlen((const char *)key), md, &md_len, EVP_sha256(), NULL))
		err = kt_error_create(KT_ERR_NOMEM, "%s: cannot hash an alert id", store->path);
	for (unsigned i = 0; !err && i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	sqlite3_finalize(stmt);
	return err;
}

struct kt_error *kt_store_queue_alert(struct kt_store *store, int64_t dump_id,
				      int64_t analysis_id,
				      const struct kt_store_analysis *analysis)
{
	char alert_id[33];
	struct kt_error *err = derive_alert_id(store, dump_id, analysis_id, alert_id);
	sqlite3_stmt *stmt;
	if (err || (err = kt_store_prepare(store,
		"INSERT INTO alerts (analysis_id, dump_id, alert_id, report, created)"
		" VALUES (?, ?, ?, ?, ?)", &stmt)))
		return err;
	sqlite3_bind_int64(stmt, 1, analysis_id);
	sqlite3_bind_int64(stmt, 2, dump_id);
	sqlite3_bind_text(stmt, 3, alert_id, -1, SQLITE_TRANSIENT);
	if (analysis->report)
		sqlite3_bind_text(stmt, 4, json_object_to_json_string_ext(analysis->report,
				  JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
				  -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(stmt, 5, analysis->finished);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		err = kt_store_error(store, "queue an alert");
	sqlite3_finalize(stmt);
	if (err || (err = kt_store_prepare(store,
		"UPDATE alerts SET"
		" journal_done = (SELECT journal_done FROM delivered_alerts WHERE alert_id = ?1),"
		" hook_done = (SELECT hook_done FROM delivered_alerts WHERE alert_id = ?1)"
		" WHERE id = last_insert_rowid()"
		" AND EXISTS (SELECT 1 FROM delivered_alerts WHERE alert_id = ?1)", &stmt)))
		return err;
	/* Sent before the database was rebuilt: not sent again. */
	sqlite3_bind_text(stmt, 1, alert_id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		err = kt_store_error(store, "look up a delivered alert");
	sqlite3_finalize(stmt);
	return err;
}

/* The delivered alerts of a damaged database, as far as they can be read. */
static void salvage_delivered(const char *damaged, struct kt_store *store)
{
	sqlite3 *old;
	char *uri;
	if (asprintf(&uri, "file:%s?mode=ro&immutable=1", damaged) < 0)
		return;
	if (sqlite3_open_v2(uri, &old, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK) {
		sqlite3_stmt *read, *write;
		if (sqlite3_prepare_v2(old, "SELECT alert_id, journal_done, hook_done FROM alerts"
				       " WHERE journal_done IS NOT NULL OR hook_done IS NOT NULL",
				       -1, &read, NULL) == SQLITE_OK) {
			if (!kt_store_prepare(store, "INSERT OR IGNORE INTO delivered_alerts"
					      " VALUES (?, ?, ?)", &write)) {
				while (sqlite3_step(read) == SQLITE_ROW) {
					for (int i = 0; i < 3; i++)
						sqlite3_bind_value(write, i + 1,
								   sqlite3_column_value(read, i));
					sqlite3_step(write);
					sqlite3_reset(write);
				}
				sqlite3_finalize(write);
			}
			sqlite3_finalize(read);
		}
	}
	sqlite3_close(old);
	free(uri);
}

struct kt_error *kt_store_rebuild(const char *state_dir, char **moved_to,
				  struct kt_store **out)
{
	char *db, *aside;
	if (asprintf(&db, "%s/%s", state_dir, KT_STORE_DB_NAME) < 0)
		return &kt_error_out_of_memory;
	if (asprintf(&aside, "%s.corrupt-%lld", db, (long long)time(NULL)) < 0) {
		free(db);
		return &kt_error_out_of_memory;
	}
	struct kt_error *err = NULL;
	if (rename(db, aside) < 0)
		err = kt_error_create(KT_ERR_IO, "%s: cannot move it aside: %m", db);
	static const char *const companions[] = { "-wal", "-shm" };
	for (size_t i = 0; !err && i < 2; i++) {
		char *from = NULL, *to = NULL;
		if (asprintf(&from, "%s%s", db, companions[i]) >= 0 &&
		    asprintf(&to, "%s%s", aside, companions[i]) >= 0)
			rename(from, to); /* absent is fine */
		free(from);
		free(to);
	}
	if (!err)
		err = kt_store_open(state_dir, false, out);
	if (!err)
		salvage_delivered(aside, *out);
	free(db);
	if (err)
		free(aside);
	else
		*moved_to = aside;
	return err;
}

static bool read_alert(sqlite3_stmt *stmt, struct kt_store_alert *a)
{
	const unsigned char *id = sqlite3_column_text(stmt, 3);
	const unsigned char *report = sqlite3_column_text(stmt, 4);
	*a = (struct kt_store_alert){
		.id = sqlite3_column_int64(stmt, 0),
		.dump_id = sqlite3_column_int64(stmt, 1),
		.analysis_id = sqlite3_column_int64(stmt, 2),
		.created = sqlite3_column_double(stmt, 5),
		.journal_pending = sqlite3_column_type(stmt, 6) == SQLITE_NULL,
		.hook_pending = sqlite3_column_type(stmt, 7) == SQLITE_NULL,
	};
	snprintf(a->alert_id, sizeof(a->alert_id), "%s", id ? (const char *)id : "");
	return !report || (a->report = strdup((const char *)report));
}

struct kt_error *kt_store_pending_alerts(struct kt_store *store,
					 struct kt_store_alert **alerts, size_t *count)
{
	sqlite3_stmt *stmt;
	*alerts = NULL;
	*count = 0;
	struct kt_error *err = kt_store_prepare(store,
		"SELECT id, dump_id, analysis_id, alert_id, report, created, journal_done,"
		" hook_done FROM alerts WHERE journal_done IS NULL OR hook_done IS NULL"
		" ORDER BY id", &stmt);
	if (err)
		return err;
	size_t cap = 0;
	int rc;
	while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (*count == cap) {
			size_t grown = cap ? cap * 2 : 8;
			struct kt_store_alert *n = realloc(*alerts, grown * sizeof(*n));
			if (!n) {
				err = &kt_error_out_of_memory;
				break;
			}
			*alerts = n;
			cap = grown;
		}
		if (!read_alert(stmt, &(*alerts)[*count]))
			err = &kt_error_out_of_memory;
		else
			(*count)++;
	}
	if (!err && rc != SQLITE_DONE)
		err = kt_store_error(store, "list pending alerts");
	sqlite3_finalize(stmt);
	if (err) {
		kt_store_alerts_free(*alerts, *count);
		*alerts = NULL;
		*count = 0;
	}
	return err;
}

struct kt_error *kt_store_alert_done(struct kt_store *store, int64_t id,
				     enum kt_alert_sink sink, double now)
{
	sqlite3_stmt *stmt;
	struct kt_error *err = kt_store_prepare(store, sink == KT_ALERT_JOURNAL
		? "UPDATE alerts SET journal_done = ?2 WHERE id = ?1"
		: "UPDATE alerts SET hook_done = ?2 WHERE id = ?1", &stmt);
	if (err)
		return err;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_double(stmt, 2, now);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		err = kt_store_error(store, "mark an alert delivered");
	sqlite3_finalize(stmt);
	return err;
}

void kt_store_alerts_free(struct kt_store_alert *alerts, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(alerts[i].report);
	free(alerts);
}
