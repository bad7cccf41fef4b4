// SPDX-License-Identifier: MIT
/*
 * ktriage rd: memory as crash's `rd` shows it.  `rd ADDRESS [COUNT]
 * [-8|-16|-32|-64] [-s] [-p]`: COUNT units (default 1) of 64 bits (or 8,
 * 16, 32), 16 bytes a line, the ASCII of the bytes after them; -s names
 * the 64-bit words that are kernel symbols; -p reads physical memory.
 * The ASCII column shows printable bytes only, so nothing from the dump
 * reaches the terminal raw.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "value_print.h"

/* A bound on one request: crash's own rd has none, but a typo must not
 * print gigabytes. */
#define MAX_BYTES (16u << 20)

struct rd_opts {
	struct kt_cli_opts common;
	unsigned unit;          /* bytes: 1, 2, 4, 8 */
	bool symbols, physical;
	const char *operands[3];
	int nr_operands;
};

static int rd_option(void *ctx, int code, const char *arg)
{
	struct rd_opts *o = ctx;
	switch (code) {
	case '1': case '2': case '4': case '8': o->unit = (unsigned)(code - '0'); return 0;
	case 's': o->symbols = true; return 0;
	case 'p': o->physical = true; return 0;
	default: return kt_cli_usage("rd", "unknown option");
	}
}

static int parse(int argc, char **argv, struct rd_opts *o)
{
	static const struct option longopts[] = {
		{ "8", no_argument, NULL, '1' },
		{ "16", no_argument, NULL, '2' },
		{ "32", no_argument, NULL, '4' },
		{ "64", no_argument, NULL, '8' },
		{ 0 },
	};
	memset(o, 0, sizeof(*o));
	o->unit = 8;
	/* getopt_long_only: crash spells the widths -8, -16, -32, -64. */
	const struct kt_cli_parser p = {
		.command = "rd", .common = KT_CLI_JSON | KT_CLI_DEBUGINFO, .shortopts = "sp",
		.longopts = longopts, .long_only = true, .option = rd_option, .ctx = o,
	};
	int status = kt_cli_parse(&p, argc, argv, &o->common);
	if (status)
		return status;
	if (o->common.nr_operands > 3)
		return kt_cli_usage("rd", "too many operands");
	for (int i = 0; i < o->common.nr_operands; i++)
		o->operands[o->nr_operands++] = o->common.operands[i];
	if (o->nr_operands < 2)
		return kt_cli_usage("rd", o->nr_operands ? "no ADDRESS given" : "no dump given");
	if (o->symbols && o->unit != 8)
		return kt_cli_usage("rd", "-s names 64-bit words only");
	o->common.dump = o->operands[0];
	return 0;
}

static uint64_t word_at(const uint8_t *p, unsigned unit)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < unit; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* A symbol of the kernel image or a module, as crash's rd -s shows it. */
static bool word_symbol(struct kt_kernel *k, uint64_t value, char *buf, size_t size)
{
	struct kt_symbol symbol;
	uint64_t offset, text, end;
	/* Only the image's and the modules' own addresses: a word past the
	 * last symbol is no "_end+1715470335". */
	struct kt_error *err = kt_symbol_address(k, "_text", &text);
	if (!err)
		err = kt_symbol_address(k, "_end", &end);
	bool image = !err && value >= text && value < end;
	kt_error_free(err);
	if (!image && !kt_module_at(k, value))
		return false;
	err = kt_symbol_at(k, value, &symbol, &offset);
	if (err) {
		kt_error_free(err);
		return false;
	}
	if (offset)
		snprintf(buf, size, "%s+%" PRIu64, symbol.name, offset);
	else
		snprintf(buf, size, "%s", symbol.name);
	for (char *s = buf; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
	return true;
}

static void print_line(struct kt_kernel *k, const struct rd_opts *o,
		       uint64_t address, const uint8_t *bytes, size_t len)
{
	/* crash pads a physical address with spaces, a virtual one with zeros. */
	if (o->physical)
		printf("%16" PRIx64 ":  ", address);
	else
		printf("%016" PRIx64 ":  ", address);
	size_t per_line = 16 / o->unit;
	for (size_t i = 0; i < per_line; i++) {
		if (i * o->unit >= len) {
			printf("%*s ", (int)(o->unit * 2), "");
			continue;
		}
		uint64_t v = word_at(bytes + i * o->unit, o->unit);
		char name[192];
		if (o->symbols && word_symbol(k, v, name, sizeof(name)))
			printf("%-16s ", name);
		else
			printf("%0*" PRIx64 " ", (int)(o->unit * 2), v);
	}
	if (!o->symbols) {
		fputs("  ", stdout);
		for (size_t i = 0; i < len; i++)
			putchar(bytes[i] >= 0x20 && bytes[i] < 0x7f ? bytes[i] : '.');
	}
	putchar('\n');
}

static struct json_object *words_json(struct kt_kernel *k, const struct rd_opts *o,
				      uint64_t address, const uint8_t *bytes,
				      size_t len)
{
	struct json_object *top = json_object_new_object();
	struct json_object *words = json_object_new_array();
	for (size_t i = 0; i + o->unit <= len; i += o->unit) {
		struct json_object *w = json_object_new_object();
		uint64_t v = word_at(bytes + i, o->unit);
		char name[192];
		json_object_object_add(w, "address", kt_cli_json_address(address + i));
		json_object_object_add(w, "value", json_object_new_uint64(v));
		if (o->symbols && word_symbol(k, v, name, sizeof(name)))
			json_object_object_add(w, "symbol", json_object_new_string(name));
		json_object_array_add(words, w);
	}
	json_object_object_add(top, "address", kt_cli_json_address(address));
	json_object_object_add(top, "physical", json_object_new_boolean(o->physical));
	json_object_object_add(top, "unit", json_object_new_int((int)o->unit * 8));
	json_object_object_add(top, "words", words);
	return top;
}

static int parse_count(const struct rd_opts *o, uint64_t *count)
{
	*count = 1;
	if (o->nr_operands < 3)
		return 0;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(o->operands[2], &end, 0);
	if (errno || *end || !n || n > MAX_BYTES / o->unit)
		return kt_cli_usage("rd", "COUNT %s: 1 to %u units", o->operands[2],
				    MAX_BYTES / o->unit);
	*count = n;
	return 0;
}

static int rd_body(struct kt_kernel *k, void *ctx)
{
	const struct rd_opts *o = ctx;
	uint64_t address, count;
	int status = parse_count(o, &count);
	if (!status)
		status = kt_cli_parse_address(k, o->operands[1], &address);
	if (status)
		return status;
	if (address % o->unit)
		return kt_cli_usage("rd", "0x%" PRIx64 " is not aligned to %u bytes",
				    address, o->unit);
	size_t len = (size_t)(count * o->unit);
	uint8_t *bytes = malloc(len);
	if (!bytes)
		return kt_cli_fail(&kt_error_out_of_memory);
	struct kt_error *err = o->physical
		? kt_dump_read_phys(kt_kernel_dump(k), address, bytes, len)
		: kt_kernel_read(k, address, bytes, len);
	if (err) {
		free(bytes);
		return kt_cli_fail(kt_error_wrap(err, "rd %s0x%" PRIx64,
						 o->physical ? "-p " : "", address));
	}
	if (o->common.json) {
		kt_cli_print_json(words_json(k, o, address, bytes, len));
	} else {
		for (size_t i = 0; i < len; i += 16)
			print_line(k, o, address + i, bytes + i, len - i < 16 ? len - i : 16);
	}
	free(bytes);
	return KT_EXIT_OK;
}

int kt_cmd_rd(int argc, char **argv)
{
	struct rd_opts o;
	return kt_cli_run_parsed(parse(argc, argv, &o), &o.common, rd_body, &o);
}
