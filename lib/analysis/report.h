/* SPDX-License-Identifier: MIT */
/* The report under construction: shared by the builder, the driver and the sinks. */
#ifndef KTRIAGE_ANALYZERS_REPORT_H
#define KTRIAGE_ANALYZERS_REPORT_H

#include "internal.h"

struct kt_finding_draft {
	struct kt_finding pub;
	struct kt_arena *arena;
	const struct kt_log_text *log;
	enum kt_claim claim;
	size_t event_line;
	size_t rank;               /* the analyzer's place in the table */
	size_t cap_lines, cap_tasks, cap_locks, cap_facts, cap_registers, cap_advice;
	size_t *events;
	size_t nr_events, cap_events;
	const char **sign_parts;
	size_t nr_sign_parts, cap_sign_parts;
};

struct kt_report {
	struct kt_arena *arena;
	struct kt_report_input input;
	struct kt_finding_draft **findings;
	size_t count, capacity;
	const char **notes;
	size_t nr_notes, cap_notes;
	struct kt_log_text *log;   /* owned */
	size_t current_rank;       /* of the analyzer running now */
	bool capped;               /* findings were left out (KT_MAX_FINDINGS_PER_VERDICT) */
};

/* "kt2:" and 16 hex digits of sha256 over the version, verdict and parts. */
const char *kt_signature_compute(struct kt_arena *arena, const char *verdict,
				 const char *const *parts, size_t count);

#endif
