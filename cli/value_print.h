/* SPDX-License-Identifier: MIT */
/* Kernel values as crash prints them, and as JSON (value_print.c, value_json.c). */
#ifndef KTRIAGE_CLI_VALUE_PRINT_H
#define KTRIAGE_CLI_VALUE_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "ktriage/kernel.h"

/* label, then the value as gdb prints it at a nesting depth; no newline. */
void kt_value_print_text(FILE *out, const char *label, const struct kt_value *value,
			 unsigned recurse, bool hex);
struct json_object *kt_value_json(const struct kt_value *value);
/* A JSON string of bytes from the dump: invalid UTF-8 becomes U+FFFD. */
struct json_object *kt_cli_json_bytes(const void *bytes, size_t len);
/* "0x" and 16 hex digits, the one spelling of an address in JSON. */
struct json_object *kt_cli_json_address(uint64_t address);

#endif
