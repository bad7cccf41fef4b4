// SPDX-License-Identifier: MIT
/*
 * The findings store: a dump is recorded once whatever happens (claimed
 * once, known afterwards, retried after an interruption only as often as
 * allowed), its findings are kept with their evidence, retriage replaces
 * the latest analysis, the schema is migrated and a newer one refused, and
 * the queries list, find and count what was recorded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktriage/services.h"

struct fixture {
	char dir[64];
	struct kt_store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/kt-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_null(kt_store_open(f->dir, false, &f->store));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kt_store_close(f->store);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct kt_store_input input(const char *path, uint64_t inode)
{
	struct kt_store_input in = { .path = path, .kind = "dump", .layout = "rhel-kdump" };
	in.identity = (struct kt_dump_identity){ .device = 64769, .inode = inode,
						 .size = 16273630, .mtime_ns = 1700000000123456789 };
	snprintf(in.identity.header_hash, sizeof(in.identity.header_hash), "%064llx",
		 (unsigned long long)inode);
	return in;
}

static struct json_object *report(const char *verdict, const char *signature)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "{\"schema_version\": 1, \"verdict\": \"%s\", \"signature\": \"%s\","
		 " \"summary\": \"a summary\", \"confidence\": 0.9, \"panic\": \"hung_task: blocked tasks\","
		 " \"findings\": [ {\"verdict\": \"%s\", \"signature\": \"%s\", \"summary\": \"a summary\","
		 " \"confidence\": 0.9, \"primary\": true, \"tasks\": [{\"pid\": 42, \"comm\": \"runc\"}]},"
		 " {\"verdict\": \"hung_task\", \"summary\": \"second\", \"confidence\": 0.4, \"primary\": false} ] }",
		 verdict, signature, verdict, signature);
	struct json_object *o = json_tokener_parse(text);
	assert_non_null(o);
	return o;
}

static void finish_triaged(struct kt_store *store, int64_t id, const char *verdict)
{
	struct json_object *r = report(verdict, "kt1:0123456789abcdef");
	const struct kt_store_analysis a = { .outcome = KT_OUTCOME_TRIAGED, .tool_version = "9.9",
					     .started = 1000, .finished = 1002, .report = r,
					     .report_path = "/state/reports/1.json" };
	assert_null(kt_store_finish(store, id, &a, NULL));
	json_object_put(r);
}

static void claimed_once_then_known(void **state)
{
	struct fixture *f = *state;
	struct kt_store_input in = input("/var/crash/a/vmcore", 11);
	int64_t id = 0, again = 0, looked = 0;
	enum kt_claim claim;
	assert_null(kt_store_lookup(f->store, &in.identity, &looked));
	assert_int_equal(looked, 0);
	assert_null(kt_store_claim(f->store, &in, 2, 1000, &id, &claim));
	assert_int_equal(claim, KT_CLAIM_RUN);
	assert_true(id > 0);
	finish_triaged(f->store, id, "cgroup_deadlock");
	assert_null(kt_store_claim(f->store, &in, 2, 1001, &again, &claim));
	assert_int_equal(claim, KT_CLAIM_KNOWN);
	assert_int_equal(again, id);
	assert_null(kt_store_lookup(f->store, &in.identity, &looked));
	assert_int_equal(looked, id);

	struct kt_store_entry e;
	assert_null(kt_store_get(f->store, id, &e));
	assert_string_equal(e.state, "done");
	assert_string_equal(e.outcome, "triaged");
	assert_string_equal(e.verdict, "cgroup_deadlock");
	assert_string_equal(e.signature, "kt1:0123456789abcdef");
	assert_string_equal(e.panic, "hung_task: blocked tasks");
	assert_string_equal(e.tool_version, "9.9");
	assert_string_equal(e.report_path, "/state/reports/1.json");
	assert_true(kt_dump_identity_equal(&e.identity, &in.identity));
	struct kt_store_finding *findings;
	size_t n;
	assert_null(kt_store_findings(f->store, e.analysis_id, &findings, &n));
	assert_int_equal(n, 2);
	assert_true(findings[0].primary);
	assert_false(findings[1].primary);
	assert_string_equal(findings[1].verdict, "hung_task");
	assert_non_null(strstr(findings[0].evidence, "\"comm\":\"runc\""));
	kt_store_findings_free(findings, n);
	kt_store_entry_clear(&e);
}

static void same_inode_other_content_is_another_dump(void **state)
{
	struct fixture *f = *state;
	struct kt_store_input a = input("/var/crash/vmcore", 12);
	struct kt_store_input b = a;
	b.identity.header_hash[0] = 'f'; /* the inode was recycled */
	int64_t ida, idb;
	enum kt_claim claim;
	assert_null(kt_store_claim(f->store, &a, 2, 1000, &ida, &claim));
	assert_null(kt_store_claim(f->store, &b, 2, 1000, &idb, &claim));
	assert_int_equal(claim, KT_CLAIM_RUN);
	assert_int_not_equal(ida, idb);
}

static void interrupted_runs_are_retried_once(void **state)
{
	struct fixture *f = *state;
	struct kt_store_input in = input("/var/crash/b/vmcore", 13);
	int64_t id, id2, id3;
	enum kt_claim claim;
	assert_null(kt_store_claim(f->store, &in, 2, 1000, &id, &claim));
	/* The daemon dies: the row stays "running"; the restart claims it again. */
	assert_null(kt_store_claim(f->store, &in, 2, 1010, &id2, &claim));
	assert_int_equal(claim, KT_CLAIM_RUN);
	assert_int_equal(id2, id);
	/* Dies again: given up, recorded as crashed with the reason. */
	assert_null(kt_store_claim(f->store, &in, 2, 1020, &id3, &claim));
	assert_int_equal(claim, KT_CLAIM_GAVE_UP);
	struct kt_store_entry e;
	assert_null(kt_store_get(f->store, id, &e));
	assert_string_equal(e.state, "failed");
	assert_string_equal(e.outcome, "crashed");
	assert_non_null(strstr(e.reason, "interrupted 2 times"));
	assert_int_equal(e.attempts, 2);
	kt_store_entry_clear(&e);
	assert_null(kt_store_claim(f->store, &in, 2, 1030, &id3, &claim));
	assert_int_equal(claim, KT_CLAIM_KNOWN);
}

static void clean_stop_spends_no_attempt(void **state)
{
	struct fixture *f = *state;
	struct kt_store_input in = input("/var/crash/c/vmcore", 14);
	int64_t id;
	enum kt_claim claim;
	for (int i = 0; i < 3; i++) {
		assert_null(kt_store_claim(f->store, &in, 2, 1000, &id, &claim));
		assert_int_equal(claim, KT_CLAIM_RUN);
		assert_null(kt_store_release(f->store, id));
	}
	const struct kt_store_filter unfinished = { .unfinished_only = true };
	struct kt_store_entry *entries;
	size_t n;
	assert_null(kt_store_list(f->store, &unfinished, &entries, &n));
	assert_int_equal(n, 1);
	assert_string_equal(entries[0].state, "queued");
	assert_int_equal(entries[0].attempts, 0);
	kt_store_entries_free(entries, n);
}

static void failures_are_recorded_with_reason(void **state)
{
	struct fixture *f = *state;
	struct kt_store_input in = input("/var/crash/d/vmcore", 15);
	int64_t id;
	enum kt_claim claim;
	assert_null(kt_store_claim(f->store, &in, 2, 1000, &id, &claim));
	const struct kt_store_analysis a = { .outcome = KT_OUTCOME_FAILED,
					     .reason = "vmcore: not a dump", .started = 1,
					     .finished = 2 };
	assert_null(kt_store_finish(f->store, id, &a, NULL));
	struct kt_store_entry e;
	assert_null(kt_store_find(f->store, "/var/crash/d/vmcore", &e));
	assert_int_equal(e.id, id);
	assert_string_equal(e.state, "failed");
	assert_string_equal(e.outcome, "failed");
	assert_string_equal(e.reason, "vmcore: not a dump");
	assert_null(e.verdict);
	kt_store_entry_clear(&e);
}

static void retriage_replaces_the_latest(void **state)
{
	struct fixture *f = *state;
	struct kt_store_input in = input("/var/crash/e/vmcore", 16);
	int64_t id, again;
	enum kt_claim claim;
	assert_null(kt_store_claim(f->store, &in, 2, 1000, &id, &claim));
	finish_triaged(f->store, id, "hung_task");
	assert_null(kt_store_requeue(f->store, id));
	assert_null(kt_store_claim(f->store, &in, 2, 1100, &again, &claim));
	assert_int_equal(claim, KT_CLAIM_RUN);
	finish_triaged(f->store, id, "cgroup_deadlock");
	struct kt_store_entry *entries;
	size_t n;
	assert_null(kt_store_list(f->store, NULL, &entries, &n));
	assert_int_equal(n, 1);
	assert_string_equal(entries[0].verdict, "cgroup_deadlock");
	kt_store_entries_free(entries, n);
	struct kt_store_count *counts;
	assert_null(kt_store_counts(f->store, &counts, &n));
	assert_int_equal(n, 1); /* one dump, counted once */
	assert_string_equal(counts[0].verdict, "cgroup_deadlock");
	assert_int_equal(counts[0].count, 1);
	kt_store_counts_free(counts, n);
	struct kt_error *err = kt_store_requeue(f->store, 999);
	assert_non_null(err);
	assert_int_equal(err->code, KT_ERR_NOT_FOUND);
	kt_error_free(err);
}

static void filters(void **state)
{
	struct fixture *f = *state;
	const char *verdicts[] = { "oom", "null_deref", "oom" };
	for (int i = 0; i < 3; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/var/crash/%d/vmcore", i);
		struct kt_store_input in = input(path, 100 + (uint64_t)i);
		int64_t id;
		enum kt_claim claim;
		assert_null(kt_store_claim(f->store, &in, 2, 1000, &id, &claim));
		finish_triaged(f->store, id, verdicts[i]);
	}
	struct kt_store_filter only_oom = { .verdict = "oom" };
	struct kt_store_entry *entries;
	size_t n;
	assert_null(kt_store_list(f->store, &only_oom, &entries, &n));
	assert_int_equal(n, 2);
	kt_store_entries_free(entries, n);
	struct kt_store_filter future = { .since = 5000 };
	assert_null(kt_store_list(f->store, &future, &entries, &n));
	assert_int_equal(n, 0);
	kt_store_entries_free(entries, n);
}

static void schema_is_versioned(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(kt_store_schema_version(f->store), KT_STORE_SCHEMA_VERSION);
	/* Reopening migrates nothing and keeps the data. */
	kt_store_close(f->store);
	assert_null(kt_store_open(f->dir, false, &f->store));
	assert_int_equal(kt_store_schema_version(f->store), KT_STORE_SCHEMA_VERSION);
	/* A database from a newer ktriage is refused, read-write and read-only. */
	char db[128];
	snprintf(db, sizeof(db), "%s/%s", f->dir, KT_STORE_DB_NAME);
	sqlite3 *raw;
	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "INSERT INTO schema_version VALUES (99, 0)",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	kt_store_close(f->store);
	f->store = NULL;
	struct kt_store *s;
	struct kt_error *err = kt_store_open(f->dir, false, &s);
	assert_non_null(err);
	assert_non_null(strstr(kt_error_string(err), "schema version 99"));
	kt_error_free(err);
	err = kt_store_open(f->dir, true, &s);
	assert_non_null(err);
	kt_error_free(err);
}

static void read_only_needs_a_database(void **state)
{
	struct kt_store *s;
	struct kt_error *err = kt_store_open("/nonexistent-state", true, &s);
	assert_non_null(err);
	assert_int_equal(err->code, KT_ERR_NOT_FOUND);
	assert_non_null(strstr(kt_error_string(err), "/nonexistent-state/ktriage.db"));
	kt_error_free(err);
}

static void identity_of_a_file(void **state)
{
	char path[] = "/tmp/kt-identity-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "KDUMP   ", 8), 8);
	close(fd);
	struct kt_dump_identity a, b;
	assert_null(kt_dump_identity_read(path, &a));
	assert_int_equal(a.size, 8);
	assert_int_equal(strlen(a.header_hash), 64);
	assert_null(kt_dump_identity_read(path, &b));
	assert_true(kt_dump_identity_equal(&a, &b));
	unlink(path);
	struct kt_error *err = kt_dump_identity_read(path, &a);
	assert_non_null(err);
	kt_error_free(err);
}

static void pending(struct kt_store *store, struct kt_store_alert **alerts, size_t *count)
{
	assert_null(kt_store_pending_alerts(store, alerts, count));
}

/* Every recorded result has its alert, delivered sink by sink; the id is stable. */
static void results_queue_one_alert_each(void **state)
{
	struct fixture *f = *state;
	struct kt_store_input in = input("/var/crash/o/vmcore", 31);
	int64_t id;
	enum kt_claim claim;
	assert_null(kt_store_claim(f->store, &in, 2, 1000, &id, &claim));
	struct kt_store_alert *alerts;
	size_t count;
	pending(f->store, &alerts, &count);
	assert_int_equal(count, 0); /* a claim is not a result */
	kt_store_alerts_free(alerts, count);
	finish_triaged(f->store, id, "cgroup_deadlock");
	pending(f->store, &alerts, &count);
	assert_int_equal(count, 1);
	assert_int_equal(alerts[0].dump_id, id);
	assert_true(alerts[0].journal_pending && alerts[0].hook_pending);
	assert_non_null(strstr(alerts[0].report, "cgroup_deadlock"));
	assert_int_equal(strlen(alerts[0].alert_id), 32);
	char first_id[33];
	strcpy(first_id, alerts[0].alert_id);
	assert_null(kt_store_alert_done(f->store, alerts[0].id, KT_ALERT_JOURNAL, 1003));
	int64_t row = alerts[0].id;
	kt_store_alerts_free(alerts, count);
	pending(f->store, &alerts, &count);
	assert_int_equal(count, 1);
	assert_false(alerts[0].journal_pending);
	assert_true(alerts[0].hook_pending);
	kt_store_alerts_free(alerts, count);
	assert_null(kt_store_alert_done(f->store, row, KT_ALERT_HOOK, 1004));
	pending(f->store, &alerts, &count);
	assert_int_equal(count, 0);
	kt_store_alerts_free(alerts, count);
	/* Retriaged: a second alert, another id. */
	assert_null(kt_store_requeue(f->store, id));
	assert_null(kt_store_claim(f->store, &in, 2, 1005, &id, &claim));
	finish_triaged(f->store, id, "cgroup_deadlock");
	pending(f->store, &alerts, &count);
	assert_int_equal(count, 1);
	assert_string_not_equal(alerts[0].alert_id, first_id);
	kt_store_alerts_free(alerts, count);
	/* A rebuilt database gives the same dump's first alert the same id. */
	char other[sizeof(f->dir) + 16];
	snprintf(other, sizeof(other), "%s/rebuilt", f->dir);
	struct kt_store *rebuilt;
	assert_null(kt_store_open(other, false, &rebuilt));
	assert_null(kt_store_claim(rebuilt, &in, 2, 2000, &id, &claim));
	finish_triaged(rebuilt, id, "cgroup_deadlock");
	pending(rebuilt, &alerts, &count);
	assert_int_equal(count, 1);
	assert_string_equal(alerts[0].alert_id, first_id);
	kt_store_alerts_free(alerts, count);
	kt_store_close(rebuilt);
}

/* A result the store cannot record queues no alert either. */
static void no_alert_without_its_result(void **state)
{
	struct fixture *f = *state;
	const struct kt_store_analysis a = { .outcome = KT_OUTCOME_FAILED, .reason = "x",
					     .tool_version = "9.9", .started = 1, .finished = 2 };
	struct kt_error *err = kt_store_finish(f->store, 999, &a, NULL); /* no such dump */
	assert_non_null(err);
	kt_error_free(err);
	struct kt_store_alert *alerts;
	size_t count;
	pending(f->store, &alerts, &count);
	assert_int_equal(count, 0);
	kt_store_alerts_free(alerts, count);
}

/* A database moved aside keeps its delivered alerts from being sent again. */
static void rebuilt_store_remembers_delivered_alerts(void **state)
{
	struct fixture *f = *state;
	struct kt_store_input in = input("/var/crash/r/vmcore", 41);
	int64_t id;
	enum kt_claim claim;
	assert_null(kt_store_claim(f->store, &in, 2, 1000, &id, &claim));
	finish_triaged(f->store, id, "cgroup_deadlock");
	struct kt_store_alert *alerts;
	size_t count;
	pending(f->store, &alerts, &count);
	assert_int_equal(count, 1);
	assert_null(kt_store_alert_done(f->store, alerts[0].id, KT_ALERT_JOURNAL, 1003));
	assert_null(kt_store_alert_done(f->store, alerts[0].id, KT_ALERT_HOOK, 1004));
	kt_store_alerts_free(alerts, count);
	kt_store_close(f->store);
	char *aside = NULL;
	assert_null(kt_store_rebuild(f->dir, &aside, &f->store));
	assert_non_null(strstr(aside, "ktriage.db.corrupt-"));
	assert_int_equal(access(aside, F_OK), 0);
	free(aside);
	/* The scan finds the dump again: triaged anew, its alert already delivered. */
	assert_null(kt_store_claim(f->store, &in, 2, 2000, &id, &claim));
	assert_int_equal(claim, KT_CLAIM_RUN);
	finish_triaged(f->store, id, "cgroup_deadlock");
	pending(f->store, &alerts, &count);
	assert_int_equal(count, 0);
	kt_store_alerts_free(alerts, count);
}

/* Garbage where the database was: KT_ERR_CORRUPT, which the daemon rebuilds. */
static void garbage_database_is_corrupt(void **state)
{
	struct fixture *f = *state;
	kt_store_close(f->store);
	f->store = NULL;
	char path[128];
	snprintf(path, sizeof(path), "%s/ktriage.db", f->dir);
	unlink(path);
	FILE *db = fopen(path, "w");
	assert_non_null(db);
	for (int i = 0; i < 4096; i++)
		fputs("not a database ", db);
	fclose(db);
	struct kt_error *err = kt_store_open(f->dir, false, &f->store);
	assert_non_null(err);
	assert_int_equal(err->code, KT_ERR_CORRUPT);
	kt_error_free(err);
	char *aside = NULL;
	assert_null(kt_store_rebuild(f->dir, &aside, &f->store));
	free(aside);
	assert_int_equal(kt_store_schema_version(f->store), KT_STORE_SCHEMA_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(claimed_once_then_known, setup, teardown),
		cmocka_unit_test_setup_teardown(same_inode_other_content_is_another_dump, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupted_runs_are_retried_once, setup, teardown),
		cmocka_unit_test_setup_teardown(clean_stop_spends_no_attempt, setup, teardown),
		cmocka_unit_test_setup_teardown(failures_are_recorded_with_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(retriage_replaces_the_latest, setup, teardown),
		cmocka_unit_test_setup_teardown(filters, setup, teardown),
		cmocka_unit_test_setup_teardown(schema_is_versioned, setup, teardown),
		cmocka_unit_test_setup_teardown(results_queue_one_alert_each, setup, teardown),
		cmocka_unit_test_setup_teardown(no_alert_without_its_result, setup, teardown),
		cmocka_unit_test_setup_teardown(rebuilt_store_remembers_delivered_alerts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(garbage_database_is_corrupt, setup, teardown),
		cmocka_unit_test(read_only_needs_a_database),
		cmocka_unit_test(identity_of_a_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
