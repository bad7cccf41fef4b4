// SPDX-License-Identifier: MIT
/* The findings store's queries: list, show, findings and counters. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static char *column_text(sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);
	return t ? strdup((const char *)t) : NULL;
}

static double column_double(sqlite3_stmt *stmt, int col, double none)
{
	return sqlite3_column_type(stmt, col) == SQLITE_NULL
		       ? none : sqlite3_column_double(stmt, col);
}

#define ENTRY_COLUMNS \
	"SELECT d.id, d.path, d.kind, d.layout, d.state, d.attempts, d.first_seen," \
	" d.device, d.inode, d.size, d.mtime_ns, d.header_hash," \
	" a.id, a.outcome, a.reason, a.tool_version, a.verdict, a.signature," \
	" a.summary, a.panic, a.report_path, a.confidence, a.started, a.finished" \
	" FROM dumps d LEFT JOIN analyses a ON a.id = d.last_analysis"

static void read_entry(sqlite3_stmt *stmt, struct kt_store_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(stmt, 0);
	e->path = column_text(stmt, 1);
	e->kind = column_text(stmt, 2);
	e->layout = column_text(stmt, 3);
	e->state = column_text(stmt, 4);
	e->attempts = (unsigned)sqlite3_column_int(stmt, 5);
	e->first_seen = sqlite3_column_double(stmt, 6);
	e->identity.device = (uint64_t)sqlite3_column_int64(stmt, 7);
	e->identity.inode = (uint64_t)sqlite3_column_int64(stmt, 8);
	e->identity.size = (uint64_t)sqlite3_column_int64(stmt, 9);
	e->identity.mtime_ns = sqlite3_column_int64(stmt, 10);
	const unsigned char *hash = sqlite3_column_text(stmt, 11);
	snprintf(e->identity.header_hash, sizeof(e->identity.header_hash), "%s",
		 hash ? (const char *)hash : "");
	e->analysis_id = sqlite3_column_int64(stmt, 12);
	e->outcome = column_text(stmt, 13);
	e->reason = column_text(stmt, 14);
	e->tool_version = column_text(stmt, 15);
	e->verdict = column_text(stmt, 16);
	e->signature = column_text(stmt, 17);
	e->summary = column_text(stmt, 18);
	e->panic = column_text(stmt, 19);
	e->report_path = column_text(stmt, 20);
	e->confidence = column_double(stmt, 21, -1);
	e->started = column_double(stmt, 22, 0);
	e->finished = column_double(stmt, 23, 0);
}

void kt_store_entry_clear(struct kt_store_entry *e)
{
	char **strings[] = { &e->path, &e->kind, &e->layout, &e->state, &e->outcome,
			     &e->reason, &e->tool_version, &e->verdict, &e->signature,
			     &e->summary, &e->panic, &e->report_path };
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		free(*strings[i]);
	memset(e, 0, sizeof(*e));
}

void kt_store_entries_free(struct kt_store_entry *entries, size_t count)
{
	for (size_t i = 0; i < count; i++)
		kt_store_entry_clear(&entries[i]);
	free(entries);
}

struct kt_error *kt_store_list(struct kt_store *store,
			       const struct kt_store_filter *filter,
			       struct kt_store_entry **entries, size_t *count)
{
	static const struct kt_store_filter all;
	if (!filter)
		filter = &all;
	sqlite3_stmt *stmt;
	struct kt_error *err = kt_store_prepare(store,
		ENTRY_COLUMNS
		" WHERE (?1 = 0 OR a.finished >= ?1)"
		" AND (?2 IS NULL OR a.verdict = ?2)"
		" AND (?3 = 0 OR d.state IN ('queued', 'running'))"
		" ORDER BY d.id", &stmt);
	if (err)
		return err;
	sqlite3_bind_double(stmt, 1, filter->since);
	sqlite3_bind_text(stmt, 2, filter->verdict, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 3, filter->unfinished_only);
	struct kt_store_entry *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			struct kt_store_entry *grown = realloc(list, cap * sizeof(*list));
			if (!grown) {
				err = &kt_error_out_of_memory;
				break;
			}
			list = grown;
		}
		read_entry(stmt, &list[n++]);
	}
	if (!err && rc != SQLITE_DONE)
		err = kt_store_error(store, "list dumps");
	sqlite3_finalize(stmt);
	if (err) {
		kt_store_entries_free(list, n);
		return err;
	}
	*entries = list;
	*count = n;
	return NULL;
}

/* One entry by a WHERE clause with one binding (integer or text). */
static struct kt_error *get_one(struct kt_store *store, const char *where,
				int64_t id, const char *text, const char *what,
				struct kt_store_entry *entry)
{
	char sql[1024];
	snprintf(sql, sizeof(sql), "%s WHERE %s ORDER BY d.id DESC LIMIT 1",
		 ENTRY_COLUMNS, where);
	sqlite3_stmt *stmt;
	struct kt_error *err = kt_store_prepare(store, sql, &stmt);
	if (err)
		return err;
	if (text)
		sqlite3_bind_text(stmt, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(stmt, 1, id);
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		read_entry(stmt, entry);
	else if (rc == SQLITE_DONE)
		err = kt_error_create(KT_ERR_NOT_FOUND, "%s: no dump %s", store->path, what);
	else
		err = kt_store_error(store, "look up a dump");
	sqlite3_finalize(stmt);
	return err;
}

struct kt_error *kt_store_get(struct kt_store *store, int64_t id,
			      struct kt_store_entry *entry)
{
	char what[32];
	snprintf(what, sizeof(what), "%lld", (long long)id);
	return get_one(store, "d.id = ?1", id, NULL, what, entry);
}

struct kt_error *kt_store_find(struct kt_store *store, const char *id_or_path,
			       struct kt_store_entry *entry)
{
	char *end;
	errno = 0;
	long long id = strtoll(id_or_path, &end, 10);
	if (*id_or_path && !*end && !errno && id > 0)
		return kt_store_get(store, id, entry);
	struct kt_error *err = get_one(store, "d.path = ?1", 0, id_or_path,
				       id_or_path, entry);
	if (!err || err->code != KT_ERR_NOT_FOUND)
		return err;
	char resolved[PATH_MAX];
	if (!realpath(id_or_path, resolved) || strcmp(resolved, id_or_path) == 0)
		return err;
	kt_error_free(err);
	return get_one(store, "d.path = ?1", 0, resolved, id_or_path, entry);
}

void kt_store_findings_free(struct kt_store_finding *findings, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(findings[i].verdict);
		free(findings[i].signature);
		free(findings[i].summary);
		free(findings[i].evidence);
	}
	free(findings);
}

struct kt_error *kt_store_findings(struct kt_store *store, int64_t analysis_id,
				   struct kt_store_finding **findings,
				   size_t *count)
{
	sqlite3_stmt *stmt;
	struct kt_error *err = kt_store_prepare(store,
		"SELECT is_primary, verdict, signature, summary, confidence, evidence"
		" FROM findings WHERE analysis_id = ? ORDER BY position", &stmt);
	if (err)
		return err;
	sqlite3_bind_int64(stmt, 1, analysis_id);
	struct kt_store_finding *list = NULL;
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct kt_store_finding *grown = realloc(list, (n + 1) * sizeof(*list));
		if (!grown) {
			err = &kt_error_out_of_memory;
			break;
		}
		list = grown;
		list[n++] = (struct kt_store_finding){
			.primary = sqlite3_column_int(stmt, 0),
			.verdict = column_text(stmt, 1),
			.signature = column_text(stmt, 2),
			.summary = column_text(stmt, 3),
			.confidence = column_double(stmt, 4, -1),
			.evidence = column_text(stmt, 5),
		};
	}
	if (!err && rc != SQLITE_DONE)
		err = kt_store_error(store, "read findings");
	sqlite3_finalize(stmt);
	if (err) {
		kt_store_findings_free(list, n);
		return err;
	}
	*findings = list;
	*count = n;
	return NULL;
}

void kt_store_counts_free(struct kt_store_count *counts, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(counts[i].outcome);
		free(counts[i].verdict);
		free(counts[i].signature);
		free(counts[i].host);
		free(counts[i].kernel_release);
	}
	free(counts);
}

struct kt_error *kt_store_counts(struct kt_store *store,
				 struct kt_store_count **counts, size_t *count)
{
	sqlite3_stmt *stmt;
	struct kt_error *err = kt_store_prepare(store,
		"SELECT a.outcome, a.verdict, a.signature, count(*), max(a.finished),"
		" a.host, a.kernel_release"
		" FROM dumps d JOIN analyses a ON a.id = d.last_analysis"
		" GROUP BY a.outcome, a.host, a.kernel_release, a.verdict, a.signature"
		" ORDER BY a.outcome, a.host, a.kernel_release, a.verdict, a.signature", &stmt);
	if (err)
		return err;
	struct kt_store_count *list = NULL;
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct kt_store_count *grown = realloc(list, (n + 1) * sizeof(*list));
		if (!grown) {
			err = &kt_error_out_of_memory;
			break;
		}
		list = grown;
		list[n++] = (struct kt_store_count){
			.outcome = column_text(stmt, 0),
			.verdict = column_text(stmt, 1),
			.signature = column_text(stmt, 2),
			.count = (uint64_t)sqlite3_column_int64(stmt, 3),
			.last_finished = column_double(stmt, 4, 0),
			.host = column_text(stmt, 5),
			.kernel_release = column_text(stmt, 6),
		};
	}
	if (!err && rc != SQLITE_DONE)
		err = kt_store_error(store, "count analyses");
	sqlite3_finalize(stmt);
	if (err) {
		kt_store_counts_free(list, n);
		return err;
	}
	*counts = list;
	*count = n;
	return NULL;
}
