/* SPDX-License-Identifier: MIT */
/*
 * One escaping rule for every output: terminal, journal, JSON.  File names,
 * task and symbol names read from a dump, and log text are data an attacker
 * shapes; printed raw they move a terminal's cursor (ESC, OSC), split a
 * journal line in two (a newline and "<0>" forge an emergency entry) or make
 * JSON invalid (bytes that are not UTF-8).
 *
 * The rule: valid, printable UTF-8 is kept as it is; every other byte (C0
 * and C1 controls, DEL, bidirectional overrides, line separators, bytes that
 * are not UTF-8) becomes the four characters \xNN.  The result is one line
 * of valid UTF-8 that shows nothing it does not say.  Where the raw bytes
 * matter (a path), an extra base64 field carries them.
 */
#ifndef KTRIAGE_ESCAPE_H
#define KTRIAGE_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct json_object;

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
size_t kt_utf8_sequence(const unsigned char *s, size_t n);

enum kt_escape_flags {
	KT_ESCAPE_KEEP_LINES = 1 << 0, /* a multi-line text: '\n' and '\t' stay */
};

/* Would kt_escape change these bytes? */
bool kt_escape_needed(const char *s, size_t len, unsigned flags);
/* The escaped copy (malloc), NULL only when out of memory. */
char *kt_escape_len(const char *s, size_t len, unsigned flags);
char *kt_escape(const char *s);
/* Write the escaped bytes to a stream (a terminal). */
void kt_escape_write(FILE *out, const char *s, size_t len, unsigned flags);
void kt_escape_puts(FILE *out, const char *s);
/* Base64 of raw bytes (malloc), for the field that keeps a path recoverable. */
char *kt_base64(const void *data, size_t len);
/* A JSON string of s, escaped (valid UTF-8 always); NULL for NULL. */
struct json_object *kt_json_escaped(const char *s);
/* key = the escaped path, and key_base64 = its raw bytes when they differ. */
void kt_json_add_path(struct json_object *o, const char *key, const char *path);

#endif
