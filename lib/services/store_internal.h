/* SPDX-License-Identifier: MIT */
/* Shared between the store's writer (store.c) and its queries (store_query.c). */
#ifndef KTRIAGE_STORE_INTERNAL_H
#define KTRIAGE_STORE_INTERNAL_H

#include <sqlite3.h>

#include "ktriage/store.h"

struct kt_store {
	sqlite3 *db;
	char *path;
	bool read_only;
};

/* "ktriage.db: <what>: <sqlite's message>" */
struct kt_error *kt_store_error(struct kt_store *store, const char *what);
struct kt_error *kt_store_prepare(struct kt_store *store, const char *sql,
				  sqlite3_stmt **stmt);
/* Run statements without results inside or outside a transaction. */
struct kt_error *kt_store_exec(struct kt_store *store, const char *sql);
/* Inside kt_store_finish's transaction: the analysis's alert (store_outbox.c). */
struct kt_error *kt_store_queue_alert(struct kt_store *store, int64_t dump_id,
				      int64_t analysis_id,
				      const struct kt_store_analysis *analysis);

#endif
