// SPDX-License-Identifier: MIT
/*
 * ktriage dmesg: the kernel log kept in the dump, printed as
 * makedumpfile --dump-dmesg (and so vmcore-dmesg.txt) prints it:
 * "[%5lu.%06lu] text", the lines of a multi-line record indented under the
 * first, bytes that are neither printable nor white space as \xNN.
 *
 * One deliberate difference: makedumpfile formats a byte >= 0x80 from a
 * signed char and prints "\xffffffe2"; ktriage prints "\xe2".
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ktriage/analyzer.h"
#include "ktriage/kernel.h"
#include "value_print.h"

/* isprint() || isspace() in the C locale, whatever the user's locale. */
static bool printed_as_is(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || (c >= '\t' && c <= '\r');
}

/* -T and --level (dmesg_time.c): boot_epoch_ns 0 prints seconds since boot. */
static int64_t boot_epoch_ns;
static unsigned level_mask = 0xff;

static void print_record(FILE *out, const struct kt_log_record *r)
{
	char prefix[64];
	int indent = boot_epoch_ns
		? kt_cli_wall_time(boot_epoch_ns, r->ts_nsec, prefix, sizeof(prefix))
		: snprintf(prefix, sizeof(prefix), "[%5" PRIu64 ".%06" PRIu64 "] ",
			   r->ts_nsec / 1000000000, r->ts_nsec % 1000000000 / 1000);
	fputs(prefix, out);
	const unsigned char *text = (const unsigned char *)r->text;
	for (size_t i = 0; i < r->text_len; i++) {
		unsigned char c = text[i];
		if (c == '\n')
			fprintf(out, "\n%*s", indent, "");
		else if (printed_as_is(c))
			putc_unlocked(c, out);
		else
			fprintf(out, "\\x%02x", c);
	}
	putc_unlocked('\n', out);
}

static struct json_object *record_json(const struct kt_log_record *r)
{
	struct json_object *o = json_object_new_object();
	/* 5.10+ always stores the caller; pid 0 (T0) is a CPU's idle task. */
	char caller[16];
	if (r->caller_id & 0x80000000u)
		snprintf(caller, sizeof(caller), "C%" PRIu32, r->caller_id & 0x7fffffffu);
	else
		snprintf(caller, sizeof(caller), "T%" PRIu32, r->caller_id);
	json_object_object_add(o, "seq", json_object_new_uint64(r->seq));
	json_object_object_add(o, "ts_nsec", json_object_new_uint64(r->ts_nsec));
	json_object_object_add(o, "level", json_object_new_int(r->level));
	json_object_object_add(o, "facility", json_object_new_int(r->facility));
	json_object_object_add(o, "caller", json_object_new_string(caller));
	json_object_object_add(o, "text", kt_cli_json_bytes(r->text, r->text_len));
	json_object_object_add(o, "dict", r->dict ? kt_cli_json_bytes(r->dict, strlen(r->dict)) : NULL);
	if (boot_epoch_ns)
		json_object_object_add(o, "time", kt_cli_json_time(boot_epoch_ns + (int64_t)r->ts_nsec));
	return o;
}

static int print_log(struct kt_kernel *kernel, const struct kt_cli_opts *opts)
{
	const struct kt_log_record *records;
	size_t count;
	struct kt_error *err = kt_log_records(kernel, &records, &count);
	if (err)
		return kt_cli_fail(err);
	if (boot_epoch_ns < 0 && !(boot_epoch_ns = kt_cli_boot_epoch_ns(kernel)))
		return kt_cli_fail(kt_error_create(KT_ERR_NOT_FOUND,
			"%s: -T: the dump does not tell when the machine booted", opts->dump));
	if (level_mask != 0xff && !kt_cli_any_at_level(records, count, level_mask))
		return kt_cli_fail(kt_error_create(KT_ERR_NOT_FOUND,
			"%s: no record at the levels asked (--level)", opts->dump));
	if (opts->json) {
		struct json_object *array = json_object_new_array_ext((int)count);
		for (size_t i = 0; i < count; i++)
			if (level_mask >> (records[i].level & 7) & 1)
				json_object_array_add(array, record_json(&records[i]));
		kt_cli_print_json(array);
		return KT_EXIT_OK;
	}
	static char buffer[1 << 16];
	setvbuf(stdout, buffer, _IOFBF, sizeof(buffer));
	for (size_t i = 0; i < count; i++)
		if (level_mask >> (records[i].level & 7) & 1)
			print_record(stdout, &records[i]);
	return KT_EXIT_OK;
}

int kt_cmd_dmesg(int argc, char **argv)
{
	/* -T and --level LIST (dmesg_time.c), then the common parse. */
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (i > 0 && !strcmp(argv[i], "-T")) {
			boot_epoch_ns = -1;
		} else if (i > 0 && !strncmp(argv[i], "--level", 7) &&
			   (argv[i][7] == '=' || (!argv[i][7] && i + 1 < argc))) {
			const char *list = argv[i][7] ? argv[i] + 8 : argv[++i];
			if (kt_cli_parse_levels(list, &level_mask))
				return kt_cli_usage("dmesg", "--level %s: levels are emerg, alert, "
						    "crit, err, warn, notice, info, debug or 0-7", list);
		} else {
			argv[n++] = argv[i];
		}
	}
	return kt_cli_run_on_kernel("dmesg", n, argv, print_log);
}
