// SPDX-License-Identifier: MIT
/*
 * ktriage kmem -s (slab caches, as crash's kmem -s prints them) and
 * kmem ADDRESS (what holds an address: a slab object, a task's stack, a
 * symbol, the page), the parts of crash's kmem that need no debuginfo.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "value_print.h"

static void print_cache_text(const struct kt_slab_cache *c)
{
	char name[sizeof(c->name) * 4];
	size_t n = 0;
	for (const char *s = c->name; *s && n + 5 < sizeof(name); s++)
		n += (size_t)(*s >= 0x20 && *s < 0x7f
			? snprintf(name + n, sizeof(name) - n, "%c", *s)
			: snprintf(name + n, sizeof(name) - n, "\\x%02x", (uint8_t)*s));
	name[n] = '\0';
	printf("%016" PRIx64 " %8" PRIu64 "  %9" PRIu64 "  %8" PRIu64 "  %5" PRIu64
	       "  %4" PRIu64 "k  %s%s\n", c->address, c->object_size, c->allocated,
	       c->total, c->slabs, c->slab_size / 1024, name,
	       c->partial ? " (partial)" : "");
}

static struct json_object *cache_json(const struct kt_slab_cache *c)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "cache", kt_cli_json_address(c->address));
	json_object_object_add(o, "name", kt_cli_json_bytes(c->name, strlen(c->name)));
	json_object_object_add(o, "object_size", json_object_new_uint64(c->object_size));
	json_object_object_add(o, "size", json_object_new_uint64(c->size));
	json_object_object_add(o, "allocated", json_object_new_uint64(c->allocated));
	json_object_object_add(o, "total", json_object_new_uint64(c->total));
	json_object_object_add(o, "slabs", json_object_new_uint64(c->slabs));
	json_object_object_add(o, "slab_size", json_object_new_uint64(c->slab_size));
	json_object_object_add(o, "partial", json_object_new_boolean(c->partial));
	return o;
}

int kt_cli_kmem_slabs(struct kt_kernel *k, bool json)
{
	struct kt_slab_cache *caches;
	size_t count;
	struct kt_error *err = kt_slab_caches(k, &caches, &count);
	if (err)
		return kt_cli_fail(err);
	if (json) {
		struct json_object *list = json_object_new_array_ext((int)count);
		for (size_t i = 0; i < count; i++)
			json_object_array_add(list, cache_json(&caches[i]));
		kt_cli_print_json(list);
	} else {
		printf("CACHE             OBJSIZE  ALLOCATED     TOTAL  SLABS  SSIZE  NAME\n");
		for (size_t i = 0; i < count; i++)
			print_cache_text(&caches[i]);
	}
	free(caches);
	return KT_EXIT_OK;
}

static const char *crash_state(const struct kt_task *t)
{
	switch (t->state) {
	case KT_TASK_RUNNING: return "TASK_RUNNING";
	case KT_TASK_INTERRUPTIBLE: return "TASK_INTERRUPTIBLE";
	case KT_TASK_UNINTERRUPTIBLE: return "TASK_UNINTERRUPTIBLE";
	case KT_TASK_IDLE: return "TASK_IDLE";
	case KT_TASK_STOPPED: return "TASK_STOPPED";
	case KT_TASK_TRACED: return "TASK_TRACED";
	case KT_TASK_ZOMBIE: return "EXIT_ZOMBIE";
	case KT_TASK_DEAD: return "EXIT_DEAD";
	case KT_TASK_PARKED: return "TASK_PARKED";
	default: return kt_task_state_name(t->state);
	}
}

static void print_slab_text(struct kt_kernel *k, const struct kt_address_owner *o)
{
	struct kt_slab_cache *caches;
	size_t count;
	struct kt_error *err = kt_slab_caches(k, &caches, &count);
	if (!err) {
		for (size_t i = 0; i < count; i++)
			if (caches[i].address == o->kmem_cache) {
				printf("CACHE             OBJSIZE  ALLOCATED     TOTAL  SLABS  SSIZE  NAME\n");
				print_cache_text(&caches[i]);
			}
		free(caches);
	}
	kt_error_free(err);
	printf("  SLAB              MEMORY            NODE  TOTAL  ALLOCATED  FREE\n");
	printf("  %016" PRIx64 "  %016" PRIx64 "  %4d  %5" PRIu64 "  %9" PRIu64 "  %4" PRIu64 "\n",
	       o->slab, o->slab_memory, 0, o->slab_objects, o->slab_inuse,
	       o->slab_objects - (o->slab_inuse < o->slab_objects ? o->slab_inuse : o->slab_objects));
	printf("  FREE / [ALLOCATED]\n");
	if (o->object_free)
		printf("   %" PRIx64 "  (offset %" PRIu64 ")\n\n", o->object, o->object_offset);
	else
		printf("  [%" PRIx64 "]\n\n", o->object);
}

static void print_owner_text(struct kt_kernel *k, const struct kt_address_owner *o)
{
	if (o->symbol[0])
		printf("%016" PRIx64 " (%c) %s%s%s%s\n\n", o->address, o->symbol_type,
		       o->symbol, o->module[0] ? " [" : "", o->module, o->module[0] ? "]" : "");
	if (o->slab_cache[0])
		print_slab_text(k, o);
	const struct kt_task *t = o->task_pid >= 0 ? kt_task_by_address(k, o->task) : NULL;
	if (t) {
		printf("    PID: %" PRId32 "\nCOMMAND: \"", t->pid);
		for (const char *s = t->comm; *s; s++)
			putchar(*s >= 0x20 && *s < 0x7f ? *s : '?');
		printf("\"\n   TASK: %016" PRIx64 "  [THREAD_INFO: %016" PRIx64 "]\n"
		       "    CPU: %" PRId32 "\n  STATE: %s%s\n\n", t->address, t->address,
		       t->cpu, crash_state(t), t == kt_task_panic(k) ? " (PANIC)"
		       : t->cpu >= 0 && kt_task_current(k, (unsigned)t->cpu) == t ? " (ACTIVE)" : "");
		if (o->in_stack)
			printf("  STACK: %016" PRIx64 " - %016" PRIx64 "\n\n", o->stack,
			       o->stack + o->stack_size);
	}
	if (o->page)
		printf("      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS\n"
		       "%016" PRIx64 " %8" PRIx64 " %16" PRIx64 " %8" PRIx64 " %2" PRId32 " %" PRIx64 "\n",
		       o->page, o->physical & ~(uint64_t)4095, o->page_mapping, o->page_index,
		       o->page_count, o->page_flags);
}

static struct json_object *owner_json(const struct kt_address_owner *o)
{
	struct json_object *j = json_object_new_object();
	json_object_object_add(j, "address", kt_cli_json_address(o->address));
	json_object_object_add(j, "readable", json_object_new_boolean(o->readable));
	if (o->readable)
		json_object_object_add(j, "physical", kt_cli_json_address(o->physical));
	json_object_object_add(j, "region", json_object_new_string(o->region));
	if (o->symbol[0])
		json_object_object_add(j, "symbol", kt_cli_json_bytes(o->symbol, strlen(o->symbol)));
	if (o->module[0])
		json_object_object_add(j, "module", kt_cli_json_bytes(o->module, strlen(o->module)));
	if (o->slab_cache[0]) {
		struct json_object *s = json_object_new_object();
		json_object_object_add(s, "cache", kt_cli_json_bytes(o->slab_cache, strlen(o->slab_cache)));
		json_object_object_add(s, "kmem_cache", kt_cli_json_address(o->kmem_cache));
		json_object_object_add(s, "slab", kt_cli_json_address(o->slab));
		json_object_object_add(s, "object", kt_cli_json_address(o->object));
		json_object_object_add(s, "offset", json_object_new_uint64(o->object_offset));
		json_object_object_add(s, "object_size", json_object_new_uint64(o->object_size));
		json_object_object_add(s, "free", json_object_new_boolean(o->object_free));
		json_object_object_add(j, "slab", s);
	}
	if (o->task_pid >= 0) {
		json_object_object_add(j, "pid", json_object_new_int(o->task_pid));
		json_object_object_add(j, "task", kt_cli_json_address(o->task));
		json_object_object_add(j, "in_stack", json_object_new_boolean(o->in_stack));
	}
	if (o->page) {
		json_object_object_add(j, "page", kt_cli_json_address(o->page));
		json_object_object_add(j, "page_flags", kt_cli_json_address(o->page_flags));
	}
	return j;
}

int kt_cli_kmem_address(struct kt_kernel *k, const char *text, bool json)
{
	uint64_t address;
	int status = kt_cli_parse_address(k, text, &address);
	if (status)
		return status;
	struct kt_address_owner o;
	struct kt_error *err = kt_address_owner(k, address, &o);
	if (err)
		return kt_cli_fail(err);
	if (json)
		kt_cli_print_json(owner_json(&o));
	else
		print_owner_text(k, &o);
	return KT_EXIT_OK;
}
