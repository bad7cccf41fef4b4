// SPDX-License-Identifier: MIT
/*
 * The structure every analyzer needs from a kernel log, parsed once: the
 * panic, each oops/BUG/WARN report with its RIP and stack, each hung-task
 * report with its stack, the modules and the kernel release.  Patterns
 * with messages of their own (OOM reports, MCEs, RCU stalls...) are read
 * by their analyzers.
 *
 * The formats are the kernel's (lib/dump_stack.c, arch/x86/mm/fault.c,
 * arch/x86/kernel/dumpstack.c, kernel/panic.c, kernel/hung_task.c,
 * lib/bug.c), with the older variants still found in bug reports.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_TRACE_FRAMES 96
#define OOPS_MAX_LINES 400
#define PANIC_MARK "Kernel panic - not syncing: "

static const char *line_text(const struct kt_log_text *log, size_t i)
{
	const struct kt_log_line *l = kt_log_text_line(log, i);
	return l ? l->text : "";
}

const char *kt_log_facts_line(const struct kt_log_facts *facts, size_t line)
{
	return line_text(facts->log, line);
}

size_t kt_log_facts_find(const struct kt_log_facts *facts, size_t from,
			 const char *needle)
{
	size_t n = kt_log_text_count(facts->log);
	for (size_t i = from; i < n; i++)
		if (strstr(line_text(facts->log, i), needle))
			return i;
	return SIZE_MAX;
}

bool kt_panic_says(const struct kt_log_facts *facts, const char *s)
{
	return facts->has_panic && strstr(facts->panic, s);
}

static const char *skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* ---- Stacks ---------------------------------------------------------- */

static bool is_trace_marker(const char *s)
{
	static const char *const markers[] = { "<TASK>", "</TASK>", "<IRQ>", "</IRQ>",
					       "<NMI>", "</NMI>", "<EOI>", "<SOFTIRQ>",
					       "</SOFTIRQ>", "<#DF>", "</#DF>" };
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (strncmp(s, markers[i], strlen(markers[i])) == 0)
			return true;
	return false;
}

/* Register dumps printed inside a trace (an exception frame), and code. */
static bool is_register_line(const char *s)
{
	static const char *const regs[] = {
		"RIP:", "RSP:", "RAX:", "RDX:", "RBP:", "R10:", "R13:", "FS:",
		"CS:", "CR2:", "Code:", "PKRU:", "DR0:", "DR3:", "DR6:",
		"EIP:", "EAX:", "ESI:", "DS:", "ORIG_RAX:", "---[ end trace",
		"Exception stack", "Stack:", "Hardware name:",
	};
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (strncmp(s, regs[i], strlen(regs[i])) == 0)
			return true;
	/* arm32 stack dumps: "ee80: 00000000 c0123456 ..." */
	size_t hex = 0;
	while (isxdigit((unsigned char)s[hex]))
		hex++;
	return hex >= 3 && s[hex] == ':' && s[hex + 1] == ' ';
}

/*
 * "? 0xffffffffc0505000": an address %pS found no symbol for (a module's
 * padding before its first function, 6.1).  Not a frame to keep, but the
 * trace goes on after it.
 */
static bool is_unnamed_address(const char *s)
{
	if (s[0] == '?' && s[1] == ' ')
		s += 2;
	if (s[0] != '0' || s[1] != 'x')
		return false;
	size_t digits = 0;
	while (isxdigit((unsigned char)s[2 + digits]))
		digits++;
	s = skip_spaces(s + 2 + digits);
	return digits >= 8 && digits <= 16 && *s == '\0';
}

static bool add_frame(struct kt_arena *arena, struct kt_text_trace *trace,
		      size_t *capacity, const struct kt_text_frame *frame)
{
	if (trace->count >= MAX_TRACE_FRAMES)
		return false;
	if (!kt_arena_grow(arena, (void **)&trace->frames, trace->count, capacity,
			   sizeof(*trace->frames)))
		return false;
	trace->frames[trace->count++] = *frame;
	return true;
}

void kt_log_facts_trace(struct kt_arena *arena, const struct kt_log_text *log,
			size_t start, size_t limit, struct kt_text_trace *trace)
{
	*trace = (struct kt_text_trace){ .first_line = start, .end_line = start };
	size_t capacity = 0, n = kt_log_text_count(log);
	if (limit > n)
		limit = n;
	size_t misses = 0;
	for (size_t i = start + 1; i < limit; i++) {
		const char *s = skip_spaces(line_text(log, i));
		struct kt_text_frame frame;
		if (is_trace_marker(s) || is_register_line(s) || strstr(s, "(null)") ||
		    is_unnamed_address(s)) {
			trace->end_line = i + 1;
			continue;
		}
		if (kt_frame_parse(arena, s, &frame)) {
			frame.line = i;
			/* syzbot prints an inlined frame twice (callee's line, caller's line) */
			const struct kt_text_frame *last = trace->count ? &trace->frames[trace->count - 1] : NULL;
			if (!last || !last->inlined || strcmp(last->function, frame.function) != 0)
				add_frame(arena, trace, &capacity, &frame);
			trace->end_line = i + 1;
			misses = 0;
			continue;
		}
		/* Before the first frame, a few header lines may come first. */
		if (trace->count == 0 && ++misses < 4)
			continue;
		break;
	}
}

static bool is_trace_header(const char *s)
{
	s = skip_spaces(s);
	return strncmp(s, "Call Trace:", 11) == 0 || strncmp(s, "Call trace:", 11) == 0 ||
	       strncmp(s, "Backtrace:", 10) == 0;
}

/* The first "Call Trace:" in (from, limit), or SIZE_MAX. */
static size_t find_trace_header(const struct kt_log_text *log, size_t from,
				size_t limit)
{
	size_t n = kt_log_text_count(log);
	for (size_t i = from; i < limit && i < n; i++)
		if (is_trace_header(line_text(log, i)))
			return i;
	return SIZE_MAX;
}

/* ---- "CPU: 0 PID: 29 Comm: khungtaskd Tainted: G  OE  6.1.0-56-amd64 #1" */

struct cpu_line {
	int cpu, pid;
	const char *comm, *taint, *release;
};

/*
 * "CPU: 0 PID: 29 Comm: kworker/u4:1 Tainted: G  OE  6.1.0-56-amd64 #1",
 * since 6.10 with " UID: 1000" before PID; a comm may hold spaces
 * ("Execution worke"), so it ends where the taint or release begins.
 */
static bool parse_cpu_line(struct kt_arena *arena, const char *s, struct cpu_line *out)
{
	const char *p = strstr(s, "CPU: ");
	if (!p || p - s > 16)
		return false;
	int cpu, pid, used = 0, uid;
	if (sscanf(p, "CPU: %d%n", &cpu, &used) != 1)
		return false;
	const char *q = p + used;
	used = 0;
	if (sscanf(q, " UID: %d%n", &uid, &used) == 1)
		q += used;
	used = 0;
	if (sscanf(q, " PID: %d Comm: %n", &pid, &used) != 1 || !used)
		return false;
	const char *comm = q + used;
	const char *end = NULL;
	static const char *const markers[] = { " Tainted: ", " Not tainted", " Kdump: ", " #" };
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		const char *m = strstr(comm, markers[i]);
		if (m && (!end || m < end))
			end = m;
	}
	if (!end || end - comm > 20)
		end = comm + strcspn(comm, " ");
	out->cpu = cpu;
	out->pid = pid;
	out->comm = kt_arena_strndup(arena, comm, (size_t)(end - comm));
	out->taint = out->release = NULL;
	const char *rest = end;
	const char *t = strstr(rest, "Not tainted");
	const char *flags = NULL;
	if (t)
		out->taint = "Not tainted";
	else if ((t = strstr(rest, "Tainted: ")))
		flags = t + 9;
	/* The release is the token before " #N". */
	const char *hash = strstr(rest, " #");
	if (hash) {
		const char *stop = hash;
		while (stop > rest && stop[-1] == ' ')
			stop--;
		const char *start = stop;
		while (start > rest && start[-1] != ' ')
			start--;
		if (stop > start)
			out->release = kt_arena_strndup(arena, start, (size_t)(stop - start));
		if (flags && start > flags) {
			const char *fe = start;
			while (fe > flags && fe[-1] == ' ')
				fe--;
			out->taint = kt_arena_strndup(arena, flags, (size_t)(fe - flags));
		}
	}
	return true;
}

bool kt_parse_cpu_line(struct kt_arena *arena, const char *s, int *cpu, int *pid,
		       const char **comm)
{
	struct cpu_line cl;
	while (*s == ' ')
		s++;
	if (!parse_cpu_line(arena, s, &cl))
		return false;
	*cpu = cl.cpu;
	*pid = cl.pid;
	*comm = cl.comm;
	return true;
}

/* ---- Oops headers ------------------------------------------------------ */

static bool parse_hex_after(const char *s, const char *marker, uint64_t *value)
{
	const char *p = strstr(s, marker);
	if (!p)
		return false;
	p = skip_spaces(p + strlen(marker));
	if (strncmp(p, "(null)", 6) == 0) {
		*value = 0;
		return true;
	}
	char *end;
	*value = strtoull(p, &end, 16);
	return end != p;
}

/* "kernel BUG at lib/list_debug.c:53!" or "WARNING: ... at file:line ..." */
static void parse_site(struct kt_arena *arena, const char *at, struct kt_oops *oops)
{
	at = skip_spaces(at);
	size_t len = strcspn(at, ": !");
	if (!len || at[len] != ':')
		return;
	oops->bug_file = kt_arena_strndup(arena, at, len);
	oops->bug_line = atoi(at + len + 1);
}

/* Is line the start of an oops-type report?  Fills kind and header facts. */
static bool oops_header(struct kt_arena *arena, const char *s, struct kt_oops *oops)
{
	const char *p;
	*oops = (struct kt_oops){ .cpu = -1, .pid = -1 };
	if ((p = strstr(s, "NULL pointer dereference"))) {
		oops->kind = KT_OOPS_NULL_DEREF;
		oops->has_address = parse_hex_after(p, "address:", &oops->address) ||
				    parse_hex_after(p, "virtual address", &oops->address) ||
				    parse_hex_after(p, "dereference at", &oops->address);
	} else if (strstr(s, "unable to handle page fault for address:") ||
		   strstr(s, "unable to handle kernel paging request") ||
		   strstr(s, "Unable to handle kernel paging request") ||
		   strstr(s, "Unable to handle kernel access to user memory")) {
		oops->kind = KT_OOPS_PAGE_FAULT;
		oops->has_address = parse_hex_after(s, "address:", &oops->address) ||
				    parse_hex_after(s, "virtual address", &oops->address) ||
				    parse_hex_after(s, "request at", &oops->address);
	} else if ((p = strstr(s, "general protection fault"))) {
		oops->kind = KT_OOPS_GPF;
		oops->has_address = parse_hex_after(p, "address", &oops->address);
	} else if ((p = strstr(s, "kernel BUG at "))) {
		oops->kind = KT_OOPS_BUG;
		parse_site(arena, p + 14, oops);
	} else if ((p = strstr(s, "WARNING: ")) && strstr(p, " at ") &&
		   (strncmp(p + 9, "CPU:", 4) == 0 || strncmp(p + 9, "at ", 3) == 0)) {
		oops->kind = KT_OOPS_WARN;
		const char *at = strstr(p, " at ");
		parse_site(arena, at + 4, oops);
		const char *sym = strchr(skip_spaces(at + 4), ' ');
		if (sym && kt_frame_parse(arena, skip_spaces(sym), &oops->rip))
			oops->has_rip = true;
		int cpu, pid;
		if (sscanf(p + 9, "CPU: %d PID: %d", &cpu, &pid) == 2) {
			oops->cpu = cpu;
			oops->pid = pid;
		}
	} else if (strstr(s, "invalid opcode: ") || strstr(s, "Internal error: Oops - BUG") ||
		   strstr(s, "Internal error: ") || strncmp(s, "Oops: ", 6) == 0 ||
		   strncmp(s, "Oops#", 5) == 0 ||
		   strstr(s, "BUG: KASAN: ") || strstr(s, "BUG: KFENCE: ") ||
		   strstr(s, "BUG: unable to handle kernel")) {
		if (strncmp(s, "Oops#", 5) == 0) /* pstore's part header, not the kernel's */
			return false;
		oops->kind = strstr(s, "invalid opcode") || strstr(s, "Oops - BUG") ? KT_OOPS_BUG
										      : KT_OOPS_OTHER;
	} else {
		return false;
	}
	oops->header = kt_arena_strdup(arena, s);
	return true;
}

/*
 * "Oops: 0002 [#1] SMP" or "invalid opcode: 0000 [#1]" right after a
 * "BUG: unable to handle..." or "kernel BUG at" header belongs to it.
 */
static bool continues_oops(const struct kt_oops *open, const struct kt_oops *next,
			   size_t line)
{
	/* arm64 prints a dozen lines of abort decoding in between. */
	if (!open || line - open->line > 24 || open->kind == KT_OOPS_WARN)
		return false;
	if (next->kind == KT_OOPS_BUG && next->bug_file)
		return false;
	if (next->kind == KT_OOPS_OTHER || next->kind == KT_OOPS_BUG)
		return open->kind != KT_OOPS_BUG || next->bug_file == NULL;
	return false;
}

static int oops_number(const char *s)
{
	const char *p = strstr(s, "[#");
	return p ? atoi(p + 2) : 0;
}

/* Fill in what follows a header, up to its end. */
static void oops_body(struct kt_arena *arena, const struct kt_log_text *log,
		      struct kt_oops *oops, size_t limit)
{
	size_t trace_header = SIZE_MAX;
	oops->end = limit;
	for (size_t i = oops->line; i < limit; i++) {
		const char *s = line_text(log, i);
		const char *t = skip_spaces(s);
		struct cpu_line cl;
		if (!oops->number)
			oops->number = oops_number(s);
		if (oops->pid < 0 && parse_cpu_line(arena, t, &cl)) {
			oops->cpu = cl.cpu;
			oops->pid = cl.pid;
			oops->comm = cl.comm;
			oops->taint = cl.taint;
		} else if (!oops->comm && oops->pid >= 0 && parse_cpu_line(arena, t, &cl)) {
			oops->comm = cl.comm;
			oops->taint = cl.taint;
		}
		if (!oops->workqueue && strncmp(t, "Workqueue: ", 11) == 0)
			oops->workqueue = kt_arena_strdup(arena, t + 11);
		if (!oops->has_rip && !strstr(t, "RIP: 0033") &&
		    (strncmp(t, "RIP: ", 5) == 0 || strncmp(t, "EIP: ", 5) == 0 ||
		     strncmp(t, "IP: ", 4) == 0 || strncmp(t, "pc : ", 5) == 0 ||
		     strncmp(t, "PC is at ", 9) == 0 || strncmp(t, "NIP [", 5) == 0 ||
		     strncmp(t, "epc : ", 6) == 0) &&
		    kt_frame_parse(arena, t, &oops->rip)) {
			oops->has_rip = true;
			oops->rip_line = i;
			oops->rip.line = i;
		}
		if (oops->has_rip && !oops->regs_line && i > oops->rip_line &&
		    (strncmp(t, "RSP:", 4) == 0 || strncmp(t, "sp : ", 5) == 0))
			oops->regs_line = i;
		if (trace_header == SIZE_MAX && is_trace_header(t))
			trace_header = i;
		if (strstr(t, "<IRQ>") || strstr(t, "<SOFTIRQ>"))
			oops->in_interrupt = true;
		if (strstr(t, "---[ end trace")) {
			oops->end = i + 1;
			break;
		}
	}
	if (trace_header != SIZE_MAX)
		kt_log_facts_trace(arena, log, trace_header, oops->end, &oops->trace);
	else if (oops->kind == KT_OOPS_WARN)
		oops->trace.first_line = oops->trace.end_line = oops->line;
}

static bool push_oops(struct kt_arena *arena, struct kt_log_facts *facts,
		      size_t *capacity, const struct kt_oops *oops)
{
	if (!kt_arena_grow(arena, (void **)&facts->oopses, facts->nr_oopses, capacity,
			   sizeof(*facts->oopses)))
		return false;
	facts->oopses[facts->nr_oopses++] = *oops;
	return true;
}

/* ---- Hung tasks -------------------------------------------------------- */

/*
 * "INFO: task runc:[2:INIT]:108 blocked for more than 8 seconds.", and every
 * wording the detector has had between "blocked" and "for more than": newer
 * kernels say "blocked in I/O wait for more than" for a task in io_schedule.
 */
#define HUNG_WORDING_MAX 40

static bool hung_header(struct kt_arena *arena, const char *s, struct kt_hung_report *h)
{
	const char *p = strstr(s, "INFO: task ");
	const char *blocked = p ? strstr(p, " blocked ") : NULL;
	const char *more = blocked ? strstr(blocked, "for more than ") : NULL;
	if (!more || more - blocked > HUNG_WORDING_MAX)
		return false;
	const char *name = p + 11;
	const char *colon = blocked;
	while (colon > name && *colon != ':')
		colon--;
	if (colon == name)
		return false;
	*h = (struct kt_hung_report){ .pid = atoi(colon + 1) };
	h->comm = kt_arena_strndup(arena, name, (size_t)(colon - name));
	h->seconds = atol(more + 14);
	return h->comm != NULL;
}

static char hung_state(const char *s, const char *comm)
{
	const char *p = strstr(s, "state:");
	if (p && strncmp(skip_spaces(s), "task:", 5) == 0)
		return p[6];
	/* older: "kworker/14:1    D    0 111280      2 0x80000000" */
	size_t len = strlen(comm);
	if (strncmp(skip_spaces(s), comm, len) == 0) {
		const char *q = skip_spaces(skip_spaces(s) + len);
		if (isupper((unsigned char)q[0]) && q[1] == ' ')
			return q[0];
	}
	return 0;
}

static void hung_body(struct kt_arena *arena, const struct kt_log_text *log,
		      struct kt_hung_report *h, size_t limit)
{
	size_t trace = SIZE_MAX;
	for (size_t i = h->line + 1; i < limit && i < h->line + 12; i++) {
		const char *s = line_text(log, i);
		if (!h->state)
			h->state = hung_state(s, h->comm);
		if (is_trace_header(s)) {
			trace = i;
			break;
		}
	}
	if (trace != SIZE_MAX)
		kt_log_facts_trace(arena, log, trace, limit, &h->trace);
}

/* ---- The whole log ---------------------------------------------------- */

static bool is_report_start(const char *s)
{
	return strstr(s, "INFO: task ") || strstr(s, PANIC_MARK) ||
	       strstr(s, "soft lockup - CPU#") ||
	       strstr(s, "detected stalls on CPUs") || strstr(s, "self-detected stall") ||
	       strstr(s, "invoked oom-killer");
}

static void parse_panic(struct kt_arena *arena, struct kt_log_facts *facts, size_t i)
{
	const struct kt_log_text *log = facts->log;
	const char *s = strstr(line_text(log, i), PANIC_MARK) + strlen(PANIC_MARK);
	size_t len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\n'))
		len--;
	if (len >= 4 && strncmp(s + len - 4, " ]--", 4) == 0) /* "---[ end Kernel panic" */
		len -= 4;
	facts->has_panic = true;
	facts->panic_line = i;
	facts->panic = kt_arena_strndup(arena, s, len);
	size_t n = kt_log_text_count(log);
	for (size_t j = i + 1; j < n && j < i + 4; j++) {
		struct cpu_line cl;
		if (parse_cpu_line(arena, skip_spaces(line_text(log, j)), &cl)) {
			facts->panic_cpu = cl.cpu;
			facts->panic_pid = cl.pid;
			facts->panic_comm = cl.comm;
			if (!facts->release)
				facts->release = cl.release;
			break;
		}
	}
	size_t header = find_trace_header(log, i + 1, i + 8);
	kt_log_facts_trace(arena, log, header != SIZE_MAX ? header : i, i + 200,
			   &facts->panic_trace);
}

static void note_release(struct kt_arena *arena, struct kt_log_facts *facts,
			 const char *s)
{
	const char *p = strstr(s, "Linux version ");
	if (p && !facts->release) {
		p += 14;
		facts->release = kt_arena_strndup(arena, p, strcspn(p, " "));
	}
	if (p && (strstr(s, "PREEMPT_RT") || strstr(s, "PREEMPT RT")))
		facts->preempt_rt = true;
	if (!facts->release && !p) {
		struct cpu_line cl;
		if (parse_cpu_line(arena, skip_spaces(s), &cl) && cl.release)
			facts->release = cl.release;
	}
}

/* Bodies once every header is known: each ends where the next begins. */
static void report_bodies(struct kt_arena *arena, const struct kt_log_text *log,
			  struct kt_log_facts *facts)
{
	size_t n = kt_log_text_count(log);
	for (size_t k = 0; k < facts->nr_oopses; k++) {
		size_t limit = k + 1 < facts->nr_oopses ? facts->oopses[k + 1].line : n;
		size_t start = facts->oopses[k].line;
		for (size_t i = start + 1; i < limit && i < start + OOPS_MAX_LINES; i++)
			if (is_report_start(line_text(log, i))) {
				limit = i;
				break;
			}
		if (limit > start + OOPS_MAX_LINES)
			limit = start + OOPS_MAX_LINES;
		oops_body(arena, log, &facts->oopses[k], limit);
	}
	for (size_t k = 0; k < facts->nr_hung; k++) {
		size_t start = facts->hung[k].line, limit = n;
		for (size_t i = start + 1; i < n; i++)
			if (is_report_start(line_text(log, i))) {
				limit = i;
				break;
			}
		hung_body(arena, log, &facts->hung[k], limit);
	}
}

struct kt_error *kt_log_facts_parse(struct kt_arena *arena,
				    const struct kt_log_text *log,
				    struct kt_log_facts *facts)
{
	*facts = (struct kt_log_facts){ .log = log, .panic_cpu = -1, .panic_pid = -1 };
	size_t n = kt_log_text_count(log), oops_cap = 0, hung_cap = 0;
	struct kt_oops *open = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *s = line_text(log, i);
		struct kt_oops oops;
		struct kt_hung_report hung;
		note_release(arena, facts, s);
		if (strstr(s, "Modules linked in:"))
			facts->modules = kt_arena_strdup(arena, strstr(s, "Modules linked in:") + 18);
		if (!facts->has_panic && strstr(s, PANIC_MARK))
			parse_panic(arena, facts, i);
		if (hung_header(arena, s, &hung)) {
			hung.line = i;
			if (kt_arena_grow(arena, (void **)&facts->hung, facts->nr_hung,
					  &hung_cap, sizeof(*facts->hung)))
				facts->hung[facts->nr_hung++] = hung;
			open = NULL;
			continue;
		}
		if (!oops_header(arena, s, &oops))
			continue;
		oops.line = i;
		if (continues_oops(open, &oops, i)) {
			if (!open->number)
				open->number = oops_number(s);
			continue;
		}
		if (push_oops(arena, facts, &oops_cap, &oops))
			open = &facts->oopses[facts->nr_oopses - 1];
	}
	report_bodies(arena, log, facts);
	facts->nr_hung_logged = facts->nr_hung;
	facts->hung_waits = facts->nr_hung ? kt_arena_alloc(arena, facts->nr_hung *
							     sizeof(*facts->hung_waits)) : NULL;
	for (size_t k = 0; facts->hung_waits && k < facts->nr_hung; k++)
		kt_wait_classify(&facts->hung[k].trace, &facts->hung_waits[k]);
	if (facts->release && strstr(facts->release, "-rt"))
		facts->preempt_rt = true;
	return kt_arena_failed(arena) ? &kt_error_out_of_memory : NULL;
}

/* Panic messages that say "the oops before me ended the machine". */
static bool panic_follows_oops(const struct kt_log_facts *facts)
{
	static const char *const says[] = {
		"Fatal exception", "Oops", "Aiee, killing interrupt handler",
		"Attempted to kill the idle task", "Attempted to kill init",
		"Fatal trap",
	};
	for (size_t i = 0; i < sizeof(says) / sizeof(says[0]); i++)
		if (strncmp(facts->panic, says[i], strlen(says[i])) == 0)
			return true;
	return false;
}

bool kt_oops_caused_panic(const struct kt_log_facts *facts, const struct kt_oops *oops)
{
	if (!facts->has_panic || oops->line > facts->panic_line)
		return false;
	bool warn_panic = strstr(facts->panic, "panic_on_warn") != NULL;
	if (oops->kind == KT_OOPS_WARN && !warn_panic)
		return false;
	if (oops->kind != KT_OOPS_WARN && !panic_follows_oops(facts))
		return false;
	/* It must be the last report of its sort before the panic. */
	for (size_t k = 0; k < facts->nr_oopses; k++) {
		const struct kt_oops *o = &facts->oopses[k];
		if (o->line > oops->line && o->line < facts->panic_line &&
		    (o->kind == KT_OOPS_WARN) == (oops->kind == KT_OOPS_WARN))
			return false;
	}
	if (strncmp(facts->panic, "Attempted to kill init", 22) == 0)
		return oops->pid == 1;
	return true;
}
