// SPDX-License-Identifier: MIT
/*
 * The escaping rule of include/ktriage/escape.h, and the UTF-8 validator the
 * log-text sanitizer and dmesg --json share.  Every sink calls these: there is
 * no second way to make a hostile byte printable.
 */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ktriage/escape.h"

size_t kt_utf8_sequence(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp, min;
	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, min = 0x80, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, min = 0x800, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, min = 0x10000, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	return cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : len;
}

/*
 * Valid UTF-8 that a terminal shows as what it is.  Not: controls (C0, DEL,
 * C1 U+0080..U+009F), the line and paragraph separators U+2028/U+2029, and
 * the bidirectional controls U+200E/F, U+202A..U+202E, U+2066..U+2069 that
 * make text read in another order than it is stored.
 */
static bool shown_as_is(const unsigned char *s, size_t seq, unsigned flags)
{
	if (seq == 1) {
		if ((flags & KT_ESCAPE_KEEP_LINES) && (s[0] == '\n' || s[0] == '\t'))
			return true;
		return s[0] >= 0x20 && s[0] != 0x7f;
	}
	if (seq == 2)
		return !(s[0] == 0xc2 && s[1] < 0xa0);
	if (seq == 3 && s[0] == 0xe2 && s[1] == 0x80)
		return !(s[2] == 0x8e || s[2] == 0x8f || (s[2] >= 0xa8 && s[2] <= 0xae));
	if (seq == 3 && s[0] == 0xe2 && s[1] == 0x81)
		return !(s[2] >= 0xa6 && s[2] <= 0xa9);
	return seq != 0;
}

/* Visit s as runs kept as they are and single bytes to escape. */
typedef void (*escape_sink)(void *ctx, const char *bytes, size_t len, bool escape);

static void walk(const char *s, size_t len, unsigned flags, escape_sink sink, void *ctx)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t kept = 0, i = 0;
	while (i < len) {
		size_t seq = kt_utf8_sequence(u + i, len - i);
		if (seq && shown_as_is(u + i, seq, flags)) {
			i += seq;
			continue;
		}
		if (i > kept)
			sink(ctx, s + kept, i - kept, false);
		sink(ctx, s + i, 1, true);
		kept = ++i;
	}
	if (len > kept)
		sink(ctx, s + kept, len - kept, false);
}

static const char hex_digits[] = "0123456789abcdef";

struct buffer {
	char *data;
	size_t len;
};

static void to_buffer(void *ctx, const char *bytes, size_t len, bool escape)
{
	struct buffer *b = ctx;
	if (!escape) {
		memcpy(b->data + b->len, bytes, len);
		b->len += len;
		return;
	}
	unsigned char c = (unsigned char)bytes[0];
	char *p = b->data + b->len;
	p[0] = '\\', p[1] = 'x', p[2] = hex_digits[c >> 4], p[3] = hex_digits[c & 15];
	b->len += 4;
}

static void note_escape(void *ctx, const char *bytes, size_t len, bool escape)
{
	*(bool *)ctx |= escape;
}

bool kt_escape_needed(const char *s, size_t len, unsigned flags)
{
	bool needed = false;
	walk(s, len, flags, note_escape, &needed);
	return needed;
}

char *kt_escape_len(const char *s, size_t len, unsigned flags)
{
	if (len > (SIZE_MAX - 1) / 4)
		return NULL;
	struct buffer b = { .data = malloc(len * 4 + 1), .len = 0 };
	if (!b.data)
		return NULL;
	walk(s, len, flags, to_buffer, &b);
	b.data[b.len] = '\0';
	return b.data;
}

char *kt_escape(const char *s)
{
	return kt_escape_len(s, strlen(s), 0);
}

static void to_stream(void *ctx, const char *bytes, size_t len, bool escape)
{
	FILE *out = ctx;
	if (escape)
		fprintf(out, "\\x%02x", (unsigned char)bytes[0]);
	else
		fwrite(bytes, 1, len, out);
}

void kt_escape_write(FILE *out, const char *s, size_t len, unsigned flags)
{
	walk(s, len, flags, to_stream, out);
}

void kt_escape_puts(FILE *out, const char *s)
{
	kt_escape_write(out, s, strlen(s), 0);
}

char *kt_base64(const void *data, size_t len)
{
	if (len > (size_t)INT32_MAX / 2)
		return NULL;
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

struct json_object *kt_json_escaped(const char *s)
{
	if (!s)
		return NULL;
	size_t len = strlen(s);
	if (!kt_escape_needed(s, len, 0))
		return json_object_new_string(s);
	char *escaped = kt_escape_len(s, len, 0);
	struct json_object *o = escaped ? json_object_new_string(escaped) : NULL;
	free(escaped);
	return o;
}

void kt_json_add_path(struct json_object *o, const char *key, const char *path)
{
	json_object_object_add(o, key, kt_json_escaped(path));
	if (!path || !kt_escape_needed(path, strlen(path), 0))
		return;
	char *raw = kt_base64(path, strlen(path));
	char *name = malloc(strlen(key) + sizeof("_base64"));
	if (raw && name) {
		strcpy(name, key);
		strcat(name, "_base64");
		json_object_object_add(o, name, json_object_new_string(raw));
	}
	free(raw);
	free(name);
}
