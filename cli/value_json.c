// SPDX-License-Identifier: MIT
/*
 * Kernel values as JSON (schema/struct.schema.json): a tree of nodes with
 * their type, address and kind; addresses and pointers are hex strings,
 * numbers are numbers, text from the dump is valid UTF-8.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ktriage/analyzer.h"
#include "value_print.h"

struct json_object *kt_cli_json_bytes(const void *bytes, size_t len)
{
	const unsigned char *s = bytes;
	char *clean = malloc(len * 3 + 1);
	if (!clean)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < len;) {
		size_t seq = kt_utf8_sequence(s + i, len - i);
		if (seq) {
			memcpy(clean + n, s + i, seq);
			n += seq;
			i += seq;
		} else {
			memcpy(clean + n, "\xef\xbf\xbd", 3);
			n += 3;
			i++;
		}
	}
	struct json_object *o = json_object_new_string_len(clean, (int)n);
	free(clean);
	return o;
}

struct json_object *kt_cli_json_address(uint64_t address)
{
	char text[24];
	snprintf(text, sizeof(text), "0x%016" PRIx64, address);
	return json_object_new_string(text);
}

static const char *kind_name(enum kt_value_kind kind)
{
	static const char *const names[] = {
		[KT_VALUE_STRUCT] = "struct", [KT_VALUE_ARRAY] = "array",
		[KT_VALUE_CHARS] = "string", [KT_VALUE_INT] = "int",
		[KT_VALUE_CHAR] = "char", [KT_VALUE_BOOL] = "bool",
		[KT_VALUE_ENUM] = "enum", [KT_VALUE_POINTER] = "pointer",
		[KT_VALUE_FUNCTION] = "function", [KT_VALUE_FLOAT] = "float",
		[KT_VALUE_OPAQUE] = "opaque",
	};
	return names[kind];
}

static struct json_object *integer(const struct kt_value *v)
{
	return v->is_signed ? json_object_new_int64((int64_t)v->bits)
			    : json_object_new_uint64(v->bits);
}

static void add_children(struct json_object *o, const struct kt_value *v,
			 const char *key)
{
	struct json_object *list = json_object_new_array_ext((int)v->count);
	for (size_t i = 0; i < v->count; i++)
		json_object_array_add(list, kt_value_json(&v->children[i]));
	json_object_object_add(o, key, list);
}

static void add_pointer(struct json_object *o, const struct kt_value *v)
{
	json_object_object_add(o, "value", kt_cli_json_address(v->bits));
	if (v->symbol)
		json_object_object_add(o, "symbol", kt_cli_json_bytes(v->symbol, strlen(v->symbol)));
	if (v->slab)
		json_object_object_add(o, "slab", kt_cli_json_bytes(v->slab, strlen(v->slab)));
	if (v->string_read)
		json_object_object_add(o, "string", kt_cli_json_bytes(v->bytes, v->nr_bytes));
}

static void add_value(struct json_object *o, const struct kt_value *v)
{
	switch (v->kind) {
	case KT_VALUE_STRUCT:
		add_children(o, v, "members");
		return;
	case KT_VALUE_ARRAY:
		json_object_object_add(o, "length", json_object_new_uint64(v->total));
		add_children(o, v, "elements");
		return;
	case KT_VALUE_CHARS:
		json_object_object_add(o, "value", v->bytes
			? kt_cli_json_bytes(v->bytes, strnlen((const char *)v->bytes, v->nr_bytes))
			: json_object_new_string(""));
		return;
	case KT_VALUE_BOOL:
		json_object_object_add(o, "value", json_object_new_boolean(v->bits != 0));
		return;
	case KT_VALUE_ENUM:
		json_object_object_add(o, "value", integer(v));
		if (v->enumerator)
			json_object_object_add(o, "enumerator", json_object_new_string(v->enumerator));
		return;
	case KT_VALUE_POINTER:
	case KT_VALUE_FUNCTION:
		add_pointer(o, v);
		return;
	case KT_VALUE_OPAQUE:
		return;
	case KT_VALUE_FLOAT: {
		double d;
		if (v->size == 4) {
			float f;
			uint32_t raw = (uint32_t)v->bits;
			memcpy(&f, &raw, sizeof(f));
			d = f;
		} else {
			memcpy(&d, &v->bits, sizeof(d));
		}
		json_object_object_add(o, "value", json_object_new_double(d));
		return;
	}
	default:
		json_object_object_add(o, "value", integer(v));
	}
}

struct json_object *kt_value_json(const struct kt_value *v)
{
	struct json_object *o = json_object_new_object();
	if (v->name)
		json_object_object_add(o, "name", json_object_new_string(v->name));
	json_object_object_add(o, "type", kt_cli_json_bytes(v->type, strlen(v->type)));
	json_object_object_add(o, "kind", json_object_new_string(kind_name(v->kind)));
	json_object_object_add(o, "address", kt_cli_json_address(v->address));
	json_object_object_add(o, "size", json_object_new_uint64(v->size));
	if (v->bit_size)
		json_object_object_add(o, "bit_size", json_object_new_uint64(v->bit_size));
	add_value(o, v);
	return o;
}
