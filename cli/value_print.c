// SPDX-License-Identifier: MIT
/*
 * Printing kernel values (include/ktriage/inspect.h) the way crash prints
 * them, which is gdb's `set print pretty on`: members at 2 + 2 * depth
 * spaces, arrays inline with runs of more than 10 equal elements folded
 * into "<repeats N times>", char arrays as strings without their final NUL,
 * pointers with "<symbol+offset>", a char * with its string.  Every byte
 * from the dump is escaped (octal, as gdb does), so nothing in a dump can
 * reach the terminal raw.  And the same values as JSON.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ktriage/analyzer.h"
#include "value_print.h"

#define REPEAT_THRESHOLD SIZE_MAX /* crash turns gdb's folding off */
#define PRINT_ELEMENTS (1u << 20) /* crash's gdb shows whole arrays */

static void spaces(FILE *out, unsigned n)
{
	fprintf(out, "%*s", (int)n, "");
}

/*
 * One character inside quotes, escaped as gdb does.  *after_octal says
 * the previous character was an octal escape: a digit then is one too
 * ("\000" then '6' is "\000\066", not "\0006").
 */
static void quoted_char_after(FILE *out, uint8_t c, char quote, bool *after_octal)
{
	bool octal = *after_octal && c >= '0' && c <= '9';
	*after_octal = false;
	if (octal || ((c < 0x20 || c >= 0x7f) && (c == 0 || !strchr("\n\t\r\a\b\f\v\033", c)))) {
		fprintf(out, "\\%03o", c);
		*after_octal = true;
		return;
	}
	switch (c) {
	case '\n': fputs("\\n", out); return;
	case '\t': fputs("\\t", out); return;
	case '\r': fputs("\\r", out); return;
	case '\a': fputs("\\a", out); return;
	case '\b': fputs("\\b", out); return;
	case '\f': fputs("\\f", out); return;
	case '\v': fputs("\\v", out); return;
	case 033: fputs("\\033", out); *after_octal = true; return;
	default: break;
	}
	if (c == '\\' || c == (uint8_t)quote)
		fprintf(out, "\\%c", c);
	else
		fputc(c, out);
}

static void quoted_char(FILE *out, uint8_t c, char quote)
{
	bool after_octal = false;
	quoted_char_after(out, c, quote, &after_octal);
}

/*
 * gdb's generic_printstr: runs of more than REPEAT_THRESHOLD equal bytes
 * print as 'c' <repeats N times>, the rest in quotes, joined by ", ".
 */
static void print_chars(FILE *out, const uint8_t *s, size_t len, bool whole_array)
{
	bool ellipsis = len > PRINT_ELEMENTS;
	if (ellipsis)
		len = PRINT_ELEMENTS;
	else if (whole_array && len && s[len - 1] == 0)
		len--;
	if (!len) {
		fputs("\"\"", out);
		return;
	}
	bool in_quotes = false, first = true, after_octal = false;
	for (size_t i = 0; i < len;) {
		size_t run = 1;
		while (i + run < len && s[i + run] == s[i])
			run++;
		if (run > REPEAT_THRESHOLD) {
			if (in_quotes)
				fputs("\", ", out);
			else if (!first)
				fputs(", ", out);
			fputc('\'', out);
			quoted_char(out, s[i], '\'');
			fprintf(out, "' <repeats %zu times>", run);
			in_quotes = false;
			i += run;
		} else {
			if (!in_quotes)
				fputs(first ? "\"" : ", \"", out);
			if (!in_quotes)
				after_octal = false;
			in_quotes = true;
			quoted_char_after(out, s[i], '"', &after_octal);
			i++;
		}
		first = false;
	}
	if (in_quotes)
		fputc('"', out);
	if (ellipsis)
		fputs("...", out);
}

static void print_integer(FILE *out, const struct kt_value *v, bool hex)
{
	if (hex) {
		uint64_t bits = v->bits;
		unsigned width = v->bit_size ? v->bit_size : (unsigned)(v->size * 8);
		if (width && width < 64)
			bits &= (1ull << width) - 1;
		fprintf(out, "0x%" PRIx64, bits);
	} else if (v->is_signed) {
		fprintf(out, "%" PRId64, (int64_t)v->bits);
	} else {
		fprintf(out, "%" PRIu64, v->bits);
	}
}

static void print_scalar(FILE *out, const struct kt_value *v, bool hex)
{
	switch (v->kind) {
	case KT_VALUE_BOOL:
		fputs(v->bits == 1 ? "true" : v->bits ? "" : "false", out);
		if (v->bits > 1)
			print_integer(out, v, hex);
		return;
	case KT_VALUE_CHAR:
		print_integer(out, v, hex);
		fputs(" '", out);
		quoted_char(out, (uint8_t)v->bits, '\'');
		fputc('\'', out);
		return;
	case KT_VALUE_ENUM:
		if (v->enumerator)
			fputs(v->enumerator, out);
		else
			print_integer(out, v, hex);
		return;
	case KT_VALUE_FLOAT:
		if (v->size == 4) {
			float f;
			uint32_t raw = (uint32_t)v->bits;
			memcpy(&f, &raw, sizeof(f));
			fprintf(out, "%g", (double)f);
		} else {
			double d;
			memcpy(&d, &v->bits, sizeof(d));
			fprintf(out, "%g", d);
		}
		return;
	case KT_VALUE_OPAQUE:
		fputs("<incomplete type>", out);
		return;
	default:
		print_integer(out, v, hex);
	}
}

static void print_pointer(FILE *out, const struct kt_value *v)
{
	fprintf(out, "0x%" PRIx64, v->bits);
	if (v->symbol) {
		fputs(" <", out);
		for (const char *s = v->symbol; *s; s++)
			quoted_char(out, (uint8_t)*s, '>');
		fputc('>', out);
	} else if (v->string_read) {
		fputc(' ', out);
		print_chars(out, v->bytes, v->nr_bytes, false);
	}
	if (v->slab) {
		fputs(" [", out);
		for (const char *s = v->slab; *s; s++)
			quoted_char(out, (uint8_t)*s, ']');
		fputc(']', out);
	}
}

static void print_value(FILE *out, const struct kt_value *v, unsigned recurse,
			bool hex);

static bool same_value(const struct kt_value *a, const struct kt_value *b)
{
	if (a->kind != b->kind || a->bits != b->bits || a->count != b->count ||
	    a->nr_bytes != b->nr_bytes)
		return false;
	if (a->nr_bytes && memcmp(a->bytes, b->bytes, a->nr_bytes))
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (!same_value(&a->children[i], &b->children[i]))
			return false;
	return true;
}

static void print_array(FILE *out, const struct kt_value *v, unsigned recurse,
			bool hex)
{
	fputc('{', out);
	for (size_t i = 0; i < v->count;) {
		size_t run = 1;
		while (i + run < v->count && same_value(&v->children[i], &v->children[i + run]))
			run++;
		if (i)
			fputs(", ", out);
		print_value(out, &v->children[i], recurse + 1, hex);
		if (run > REPEAT_THRESHOLD) {
			fprintf(out, " <repeats %zu times>", run);
			i += run;
		} else {
			i++;
		}
	}
	if (v->total > v->count)
		fputs("...", out);
	fputc('}', out);
}

static void print_struct(FILE *out, const struct kt_value *v, unsigned recurse,
			 bool hex)
{
	if (!v->count) {
		fputs("{<No data fields>}", out);
		return;
	}
	fputs("{\n", out);
	for (size_t i = 0; i < v->count; i++) {
		const struct kt_value *m = &v->children[i];
		spaces(out, 2 + 2 * recurse);
		if (m->name)
			fprintf(out, "%s = ", m->name);
		print_value(out, m, recurse + 1, hex);
		fputs(i + 1 < v->count ? ",\n" : "\n", out);
	}
	spaces(out, 2 * recurse);
	fputc('}', out);
}

static void print_value(FILE *out, const struct kt_value *v, unsigned recurse,
			bool hex)
{
	switch (v->kind) {
	case KT_VALUE_STRUCT:
		print_struct(out, v, recurse, hex);
		return;
	case KT_VALUE_ARRAY:
		if (v->total)
			print_array(out, v, recurse, hex);
		else /* a flexible array: gdb shows where it starts */
			fprintf(out, "0x%" PRIx64, v->address);
		return;
	case KT_VALUE_CHARS:
		if (v->string_read || !v->total) /* a flexible array: its address and string */
			fprintf(out, "0x%" PRIx64 " ", v->address);
		print_chars(out, v->bytes, v->nr_bytes, !v->string_read && v->total);
		return;
	case KT_VALUE_POINTER:
	case KT_VALUE_FUNCTION:
		print_pointer(out, v);
		return;
	default:
		print_scalar(out, v, hex);
	}
}

void kt_value_print_text(FILE *out, const char *label, const struct kt_value *v,
			 unsigned recurse, bool hex)
{
	if (label)
		fprintf(out, "%s", label);
	print_value(out, v, recurse, hex);
}
