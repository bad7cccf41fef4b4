// SPDX-License-Identifier: MIT
/*
 * A captured kernel log into message lines.  Captures decorate the kernel's
 * text in many ways, often several at once:
 *   vmcore-dmesg.txt, dmesg.*       "[   17.338277] INFO: task ..."
 *   pstore, /dev/kmsg style         "<4>[  201.650687] Oops: 0002 [#1] SMP"
 *   printk caller ids               "[    0.000000][    T0] Linux version"
 *   syslog / journalctl             "Feb 16 11:00:22 host kernel: [57316.09] ..."
 *   ISO timestamps                  "2024-02-16T11:00:22.1+00:00 host kernel: ..."
 *   consoles and CI harnesses       "01818 general protection fault ..." or
 *                                   user-space output glued before the "[".
 * Each line is reduced to the kernel's message, with its printk time when
 * the capture kept it.  Lines that are empty once undecorated are dropped
 * (some consoles double every newline).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ktriage/analyzer.h"

struct kt_log_text {
	struct kt_arena *arena;
	struct kt_log_line *lines;
	size_t count, capacity;
	size_t from_kernel; /* lines with a printk time or a "kernel:" tag */
};

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static bool is_month(const char *s)
{
	for (size_t i = 0; i < sizeof(months) / sizeof(months[0]); i++)
		if (strncmp(s, months[i], 3) == 0)
			return true;
	return false;
}

/* "hh:mm:ss" with an optional ".fraction"; returns the end, or NULL. */
static const char *skip_clock(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]) || s[5] != ':' ||
	    !isdigit((unsigned char)s[6]) || !isdigit((unsigned char)s[7]))
		return NULL;
	s += 8;
	if (*s == '.' || *s == ',')
		for (s++; isdigit((unsigned char)*s); s++)
			;
	/* ISO zones: Z, +00:00, +0000 */
	if (*s == 'Z')
		s++;
	else if ((*s == '+' || *s == '-') && isdigit((unsigned char)s[1]))
		for (s++; isdigit((unsigned char)*s) || *s == ':'; s++)
			;
	return s;
}

/* A token "tag:" or "tag[pid]:" at s: returns what follows it, or NULL. */
static const char *skip_tag(const char *s)
{
	size_t len = strcspn(s, " ");
	if (len < 2 || len > 64 || s[len - 1] != ':' || s[len] != ' ')
		return NULL;
	return s + len + 1;
}

/* After a syslog date: "[host] tag[pid]: " up to the message. */
static const char *skip_host_and_tag(const char *s, bool *kernel)
{
	if (*s != ' ')
		return NULL;
	while (*s == ' ')
		s++;
	const char *message = skip_tag(s);
	const char *tag = s;
	if (!message) {
		const char *host_end = strchr(s, ' ');
		if (!host_end)
			return NULL;
		tag = host_end + 1;
		message = skip_tag(tag);
	}
	if (message)
		*kernel = strncmp(tag, "kernel:", 7) == 0 || strncmp(tag, "kernel[", 7) == 0;
	return message;
}

/* Does s start with shape ('d' a digit, anything else itself)?  Stops at NUL. */
static bool matches(const char *s, const char *shape)
{
	for (; *shape; s++, shape++)
		if (*shape == 'd' ? !isdigit((unsigned char)*s) : *s != *shape)
			return false;
	return true;
}

/*
 * "Feb 16 11:00:22 host kernel: " or "2024-02-16T11:00:22.12+00:00 host
 * kernel: "; returns where the message starts, or s when there is none.
 */
static const char *skip_syslog_prefix(const char *s, bool *kernel)
{
	const char *p = NULL;
	if (is_month(s) && s[3] == ' ') {
		p = s + 4;
		while (*p == ' ')
			p++;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p != ' ')
			return s;
		p = skip_clock(p + 1);
	} else if (matches(s, "dddd-dd-dd") && (s[10] == 'T' || s[10] == ' ')) {
		p = skip_clock(s + 11);
	}
	if (!p)
		return s;
	const char *message = skip_host_and_tag(p, kernel);
	return message ? message : s;
}

/* "<N>" at s: the level (facility bits dropped), and the text after it. */
static const char *skip_level(const char *s, int *level)
{
	if (s[0] != '<' || !isdigit((unsigned char)s[1]))
		return s;
	char *end;
	long value = strtol(s + 1, &end, 10);
	if (*end != '>' || end - s > 5)
		return s;
	*level = (int)(value & 7);
	return end + 1;
}

/* "[ 12.345678]" at s: its time in ns; returns the end or NULL. */
static const char *parse_timestamp(const char *s, uint64_t *ns)
{
	if (*s != '[')
		return NULL;
	const char *p = s + 1;
	while (*p == ' ')
		p++;
	if (!isdigit((unsigned char)*p))
		return NULL;
	uint64_t seconds = 0;
	for (; isdigit((unsigned char)*p); p++)
		seconds = seconds * 10 + (uint64_t)(*p - '0');
	if (*p != '.')
		return NULL;
	p++;
	uint64_t fraction = 0;
	int digits = 0;
	for (; isdigit((unsigned char)*p); p++, digits++)
		if (digits < 9)
			fraction = fraction * 10 + (uint64_t)(*p - '0');
	if (digits == 0 || *p != ']')
		return NULL;
	for (; digits < 9; digits++)
		fraction *= 10;
	*ns = seconds * 1000000000ull + fraction;
	return p + 1;
}

/* dmesg -T: "[Thu Dec  7 00:05:15 2017] " carries no printk time to keep. */
static const char *skip_human_time(const char *s)
{
	if (s[0] != '[' || !isalpha((unsigned char)s[1]) || !isalpha((unsigned char)s[2]) ||
	    !isalpha((unsigned char)s[3]) || s[4] != ' ' || !is_month(s + 5))
		return s;
	const char *close = strchr(s, ']');
	if (!close || close - s > 32)
		return s;
	return close[1] == ' ' ? close + 2 : close + 1;
}

/* printk's caller id after the time: "[    T1]" or "[  C0]". */
static const char *skip_caller_id(const char *s)
{
	const char *p = s;
	if (*p == ' ' && p[1] == '[')
		p++;
	if (*p != '[')
		return s;
	p++;
	while (*p == ' ')
		p++;
	if ((*p != 'T' && *p != 'C') || !isdigit((unsigned char)p[1]))
		return s;
	for (p++; isdigit((unsigned char)*p); p++)
		;
	return *p == ']' ? p + 1 : s;
}

/*
 * Find the printk time near the start of the line.  Text before it is
 * console noise (another writer's output, a harness prefix) and is dropped.
 */
static const char *find_timestamp(const char *s, uint64_t *ns)
{
	for (const char *p = s; *p && p - s < 160; p++) {
		if (*p != '[')
			continue;
		const char *end = parse_timestamp(p, ns);
		if (end)
			return end;
	}
	return NULL;
}

/*
 * Sinks put lines in JSON, journal fields and terminals: control bytes and
 * invalid UTF-8 (a torn console, a binary blob) become '?', in place.
 */
static void sanitize(char *line)
{
	unsigned char *s = (unsigned char *)line;
	while (*s) {
		size_t len = kt_utf8_sequence(s, strnlen((const char *)s, 4));
		if (len == 0 || (len == 1 && ((*s < 0x20 && *s != '\t') || *s == 0x7f))) {
			*s++ = '?';
			continue;
		}
		s += len;
	}
}

static bool add_line(struct kt_log_text *log, const char *raw, const char *text,
		     bool has_ts, uint64_t ts, int level, size_t number)
{
	if (!kt_arena_grow(log->arena, (void **)&log->lines, log->count,
			   &log->capacity, sizeof(*log->lines)))
		return false;
	log->lines[log->count++] = (struct kt_log_line){
		.text = text, .raw = raw, .ts_nsec = ts, .has_timestamp = has_ts,
		.level = level, .number = number,
	};
	return true;
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

/* A token's shape: digits folded to 'N' ("001:" and "000:" look alike). */
static void token_shape(const char *s, size_t len, char *out, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < size; i++)
		out[n++] = isdigit((unsigned char)s[i]) ? 'N' : s[i];
	out[n] = '\0';
}

static bool harness_token(const char *s, size_t len)
{
	if (len < 3 || len > 16 || s[len] != ' ' || is_month(s))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != ':' && s[i] != '|' && s[i] != '-')
			return false;
	return true;
}

/*
 * Some harnesses put a token of one shape before every line: a run number
 * ("01818 "), PREEMPT_RT's printk CPU ("000: ", "001: ").  Find the shape
 * when at least 80% of the lines start with it, so it can be removed.
 */
static char *harness_prefix(struct kt_arena *arena, char **lines, size_t count)
{
	if (count < 5)
		return NULL;
	size_t len = strcspn(lines[0], " ");
	if (!harness_token(lines[0], len))
		return NULL;
	char shape[20], other[20];
	token_shape(lines[0], len, shape, sizeof(shape));
	size_t same = 0;
	for (size_t i = 0; i < count; i++) {
		size_t l = strcspn(lines[i], " ");
		if (l != len || lines[i][l] != ' ')
			continue;
		token_shape(lines[i], l, other, sizeof(other));
		same += strcmp(shape, other) == 0;
	}
	if (same * 5 < count * 4)
		return NULL;
	return kt_arena_strdup(arena, shape);
}

/* Does s start with a token of the harness's shape and a space? */
static size_t harness_length(const char *s, const char *shape)
{
	size_t len = strlen(shape);
	for (size_t i = 0; i < len; i++) {
		bool digit = isdigit((unsigned char)s[i]);
		if (shape[i] == 'N' ? !digit : s[i] != shape[i])
			return 0;
	}
	return s[len] == ' ' ? len + 1 : 0;
}

/* The message of one captured line; NULL when nothing is left. */
static const char *undecorate(char *line, const char *harness_prefix,
			      bool *has_ts, uint64_t *ts, int *level, bool *kernel)
{
	const char *s = skip_syslog_prefix(line, kernel);
	if (harness_prefix)
		s += harness_length(s, harness_prefix);
	s = skip_level(s, level);
	const char *after = find_timestamp(s, ts);
	if (after) {
		*has_ts = true;
		s = skip_caller_id(after);
		if (*s == ' ')
			s++;
	} else {
		s = skip_level(s, level);
		s = skip_human_time(s);
	}
	return blank(s) ? NULL : s;
}

static struct kt_log_text *log_text_new(void)
{
	struct kt_log_text *log = calloc(1, sizeof(*log));
	if (!log)
		return NULL;
	log->arena = kt_arena_new();
	if (!log->arena) {
		free(log);
		return NULL;
	}
	return log;
}

/* Split a copy of the text at newlines; returns the line array. */
static char **split_lines(struct kt_arena *arena, const char *text, size_t len,
			  size_t *count)
{
	char *copy = kt_arena_strndup(arena, text, len);
	if (!copy)
		return NULL;
	size_t n = 1;
	for (size_t i = 0; i < len && copy[i]; i++)
		n += copy[i] == '\n';
	char **lines = kt_arena_alloc(arena, n * sizeof(*lines));
	if (!lines)
		return NULL;
	size_t i = 0;
	for (char *p = copy; p && i < n;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		size_t l = strlen(p);
		if (l && p[l - 1] == '\r')
			p[l - 1] = '\0';
		lines[i++] = p;
		p = nl ? nl + 1 : NULL;
	}
	*count = i;
	return lines;
}

struct kt_error *kt_log_text_parse(const char *text, size_t len,
				   struct kt_log_text **out)
{
	struct kt_log_text *log = log_text_new();
	if (!log)
		return &kt_error_out_of_memory;
	size_t count = 0;
	char **lines = split_lines(log->arena, text, len, &count);
	char *prefix = lines ? harness_prefix(log->arena, lines, count) : NULL;
	for (size_t i = 0; lines && i < count; i++) {
		bool has_ts = false, kernel = false;
		uint64_t ts = 0;
		int level = -1;
		sanitize(lines[i]);
		const char *raw = lines[i];
		const char *msg = undecorate(lines[i], prefix, &has_ts, &ts, &level, &kernel);
		if (msg && add_line(log, raw, msg, has_ts, ts, level, i + 1))
			log->from_kernel += has_ts || kernel;
	}
	if (kt_arena_failed(log->arena)) {
		kt_log_text_free(log);
		return &kt_error_out_of_memory;
	}
	*out = log;
	return NULL;
}

struct kt_error *kt_log_text_from_records(const struct kt_log_record *records,
					  size_t count, struct kt_log_text **out)
{
	struct kt_log_text *log = log_text_new();
	if (!log)
		return &kt_error_out_of_memory;
	for (size_t i = 0; i < count; i++) {
		const struct kt_log_record *r = &records[i];
		char *copy = kt_arena_strndup(log->arena, r->text, r->text_len);
		for (char *p = copy; p;) {
			char *nl = strchr(p, '\n');
			if (nl)
				*nl = '\0';
			sanitize(p);
			if (!blank(p))
				add_line(log, p, p, true, r->ts_nsec, r->level, r->seq);
			p = nl ? nl + 1 : NULL;
		}
	}
	if (kt_arena_failed(log->arena)) {
		kt_log_text_free(log);
		return &kt_error_out_of_memory;
	}
	*out = log;
	return NULL;
}

void kt_log_text_free(struct kt_log_text *log)
{
	if (!log)
		return;
	kt_arena_free(log->arena);
	free(log);
}

size_t kt_log_text_count(const struct kt_log_text *log)
{
	return log->count;
}

const struct kt_log_line *kt_log_text_line(const struct kt_log_text *log,
					   size_t index)
{
	return index < log->count ? &log->lines[index] : NULL;
}

/* Messages only a kernel prints; one is enough to call it a kernel log. */
static const char *const kernel_markers[] = {
	"Linux version ", "Kernel panic - not syncing", "Call Trace:",
	"Call trace:", "Modules linked in:", "Hardware name:", "RIP: 0010:",
	"INFO: task ", "BUG: ", "Oops", "watchdog: ", "rcu: ",
	"detected stalls on CPUs", "invoked oom-killer", "Machine check",
	"Attempted to kill init", "general protection fault", "Unable to handle kernel",
	"Internal error:", "WARNING: CPU:", "soft lockup", "hard LOCKUP",
	"Backtrace:", "sysrq: ", "SysRq : ", "[Hardware Error]", "Machine Check",
};

bool kt_log_text_is_kernel_log(const struct kt_log_text *log)
{
	for (size_t i = 0; i < log->count; i++) {
		const char *text = log->lines[i].text;
		for (size_t m = 0; m < sizeof(kernel_markers) / sizeof(kernel_markers[0]); m++)
			if (strstr(text, kernel_markers[m]))
				return true;
	}
	return log->count > 0 && log->from_kernel * 2 >= log->count;
}
