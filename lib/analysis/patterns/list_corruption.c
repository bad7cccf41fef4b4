// SPDX-License-Identifier: MIT
/*
 * list_corruption: CONFIG_DEBUG_LIST caught a broken list_head
 * (lib/list_debug.c): "list_add corruption. prev->next should be next
 * (...), but was ... (prev=...)", "list_del corruption, ...->next is
 * LIST_POISON1 (...)", "list_add double add", followed by a BUG or WARN
 * in __list_add_valid / __list_del_entry_valid (or their _or_report forms).
 * The caller of the list operation is the culprit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static bool is_list_helper(const char *function)
{
	return kt_function_has_prefix(function, "__list_") ||
	       kt_function_has_prefix(function, "list_") ||
	       kt_function_has_prefix(function, "hlist_") ||
	       kt_function_is(function, "__hlist_del");
}

/* The corruption message near the report, e.g. "list_del corruption. ...". */
static size_t find_message(struct kt_analysis *a, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const char *s = kt_log_facts_line(a->facts, i);
		if (strstr(s, "list_add corruption") || strstr(s, "list_del corruption") ||
		    strstr(s, "list_add double add") || strstr(s, "list_del double"))
			return i;
	}
	return SIZE_MAX;
}

static bool is_list_report(struct kt_analysis *a, const struct kt_oops *oops, size_t *message)
{
	size_t from = oops->line > 3 ? oops->line - 3 : 0;
	*message = find_message(a, from, oops->line + 4 < oops->end ? oops->line + 4 : oops->end);
	if (oops->bug_file && strstr(oops->bug_file, "list_debug.c"))
		return true;
	if (oops->has_rip && (oops->kind == KT_OOPS_BUG || oops->kind == KT_OOPS_WARN) &&
	    (kt_function_has_prefix(oops->rip.function, "__list_add_valid") ||
	     kt_function_has_prefix(oops->rip.function, "__list_del_entry_valid")))
		return true;
	return *message != SIZE_MAX && oops->kind != KT_OOPS_GPF &&
	       oops->kind != KT_OOPS_PAGE_FAULT && oops->kind != KT_OOPS_NULL_DEREF;
}

static const struct kt_text_frame *caller_of(const struct kt_oops *oops)
{
	for (size_t i = 0; i < oops->trace.count; i++) {
		const struct kt_text_frame *f = &oops->trace.frames[i];
		if (!f->unreliable && !is_list_helper(f->function) &&
		    !kt_function_is_plumbing(f->function))
			return f;
	}
	return NULL;
}

/* The poison or NULL a corrupted pointer held, from the message. */
static const char *diagnosis(const char *message)
{
	if (!message)
		return "a list_head was overwritten";
	if (strstr(message, "LIST_POISON") || strstr(message, "dead000000000100") ||
	    strstr(message, "dead000000000122"))
		return "an entry already removed from its list was removed again or used "
		       "(use-after-list_del)";
	if (strstr(message, "double add"))
		return "an entry was added to a list it was already on";
	if (strstr(message, "but was 0000000000000000") || strstr(message, "but was (null)") ||
	    strstr(message, "is NULL"))
		return "a neighbour's pointer is NULL: an uninitialised or zeroed list_head";
	return "a neighbour points elsewhere: an entry freed or overwritten while linked";
}

static void analyze_oops(struct kt_analysis *a, const struct kt_oops *oops, size_t message)
{
	struct kt_finding_draft *f = kt_oops_finding(a, "list_corruption", oops, 0.75);
	if (!f)
		return;
	const char *text = message != SIZE_MAX ? kt_log_facts_line(a->facts, message) : NULL;
	if (message != SIZE_MAX) {
		kt_finding_add_line(f, message);
		kt_finding_claim_event(f, message);
		kt_finding_fact(f, "message", "%s", text);
	}
	const char *op = text && strstr(text, "list_add") ? "list_add"
			 : text && strstr(text, "list_del") ? "list_del"
			 : oops->has_rip && strstr(oops->rip.function, "add") ? "list_add"
									      : "list_del";
	kt_finding_fact(f, "operation", "%s", op);
	kt_finding_sign(f, "op:%s", op);
	const struct kt_text_frame *caller = caller_of(oops);
	const char *caller_name = caller ? kt_frame_string(a->arena, caller)
			  : oops->has_rip ? kt_arena_printf(a->arena, "%s (its caller is not in the log)",
							    kt_frame_string(a->arena, &oops->rip))
					  : "code the log does not show";
	if (caller) {
		char base[128];
		kt_function_base(caller->function, base, sizeof(base));
		kt_finding_fact(f, "caller", "%s", caller_name);
		kt_finding_sign(f, "caller:%s", base);
	}
	kt_finding_summary(f, "%s corruption detected by CONFIG_DEBUG_LIST in %s%s%s: %s", op,
			   caller_name, oops->comm ? ", task " : "", oops->comm ? oops->comm : "",
			   diagnosis(text));
	kt_finding_advice(f, "List corruption is a symptom: the entry or its neighbours were "
			  "freed while still linked, deleted twice, or overwritten. Reproduce "
			  "with KASAN and slub_debug=FZP to catch the writer.");
	kt_finding_advice(f, "Search the changelog for \"%s\" with \"list corruption\" or "
			  "\"use-after-free\".", caller ? caller->function : op);
	if (f->pub.sources & KT_FROM_MEMORY)
		kt_finding_confidence(f, 0.9);
}

/* A message with no BUG/WARN after it (the log ends, or a ratelimited report). */
static void analyze_message(struct kt_analysis *a, size_t line)
{
	struct kt_finding_draft *f = kt_finding_new(a, "list_corruption", KT_CLAIM_NOTE, line, 0.6);
	const char *text = kt_log_facts_line(a->facts, line);
	kt_finding_add_line(f, line);
	kt_finding_fact(f, "message", "%s", text);
	const char *op = strstr(text, "list_add") ? "list_add" : "list_del";
	kt_finding_sign(f, "op:%s", op);
	kt_finding_summary(f, "%s corruption detected by CONFIG_DEBUG_LIST: %s", op, diagnosis(text));
	kt_finding_advice(f, "Reproduce with KASAN and slub_debug=FZP to catch the writer.");
}

static void analyze(struct kt_analysis *a)
{
	const struct kt_log_facts *facts = a->facts;
	bool found = false;
	for (size_t i = 0; i < facts->nr_oopses; i++) {
		const struct kt_oops *oops = &facts->oopses[i];
		size_t message;
		if (kt_analysis_event_claimed(a, oops->line) || !is_list_report(a, oops, &message))
			continue;
		if (message != SIZE_MAX && kt_analysis_event_claimed(a, message))
			continue;
		analyze_oops(a, oops, message);
		found = true;
	}
	if (found)
		return;
	size_t line = find_message(a, 0, kt_log_text_count(a->log));
	if (line != SIZE_MAX && !kt_analysis_event_claimed(a, line))
		analyze_message(a, line);
}

const struct kt_analyzer kt_analyzer_list_corruption = { "list_corruption", analyze };
