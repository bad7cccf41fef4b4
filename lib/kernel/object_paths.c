// SPDX-License-Identifier: MIT
/*
 * Small readers the object namer shares (object_names.c): members by name,
 * which member an offset falls in, and a dentry's path through the mount
 * tree (fs/d_path.c's walk: up d_parent, across mnt_mountpoint at each
 * mount's root).  Every walk is bounded; what cannot be read ends it.
 */
#include <stdio.h>
#include <string.h>

#include "object_names.h"

#define MAX_PATH_DEPTH 32

bool kt_obj_u64(struct kt_kernel *k, uint64_t base, const char *type,
		const char *member, uint64_t *value)
{
	struct kt_error *err = kt_read_member_uint(k, base, type, member, value);
	kt_error_free(err);
	return !err;
}

bool kt_obj_offset(struct kt_kernel *k, const char *type, const char *member,
		   uint64_t *offset)
{
	struct kt_error *err = kt_type_offsetof(k, type, member, offset);
	kt_error_free(err);
	return !err;
}

/* A char array member (s_id, disk_name, comm) or a char * member (name). */
bool kt_obj_string(struct kt_kernel *k, uint64_t base, const char *type,
		   const char *member, bool pointer, char *buf, size_t size)
{
	uint64_t at = 0;
	buf[0] = '\0';
	if (pointer ? !kt_obj_u64(k, base, type, member, &at)
		    : !kt_obj_offset(k, type, member, &at))
		return false;
	struct kt_error *err = kt_kernel_read_string(k, pointer ? at : base + at, buf, size);
	kt_error_free(err);
	/* Printable only: the name goes into reports. */
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	return !err && buf[0];
}

bool kt_obj_member_at(struct kt_kernel *k, const char *type,
		      const struct kt_obj_member *members, uint64_t offset,
		      char *buf, size_t size)
{
	for (const struct kt_obj_member *m = members; m->name; m++) {
		struct kt_member info;
		struct kt_error *err = kt_type_member(k, type, m->name, &info);
		if (err) {
			kt_error_free(err);
			continue;
		}
		uint64_t start = info.bit_offset / 8;
		if (offset < start || offset - start >= info.size)
			continue;
		uint64_t element = 0;
		if (m->element) {
			err = kt_type_sizeof(k, m->element, &element);
			kt_error_free(err);
		}
		if (element && info.size > element)
			snprintf(buf, size, "%s[%llu]", m->name,
				 (unsigned long long)((offset - start) / element));
		else
			snprintf(buf, size, "%s", m->name);
		return true;
	}
	return false;
}

/* Prepend "/name" to the path built so far at buf. */
static bool prepend(char *buf, size_t size, const char *name)
{
	size_t have = strlen(buf), add = strlen(name) + 1;
	if (have + add + 1 > size)
		return false;
	memmove(buf + add, buf, have + 1);
	buf[0] = '/';
	memcpy(buf + 1, name, add - 1);
	return true;
}

/* Up from a mount's root to where it is mounted; false at the top. */
static bool cross_mount(struct kt_kernel *k, uint64_t *mount, uint64_t *dentry)
{
	uint64_t parent, point;
	if (!kt_obj_u64(k, *mount, "struct mount", "mnt_parent", &parent) ||
	    !kt_obj_u64(k, *mount, "struct mount", "mnt_mountpoint", &point) ||
	    parent == *mount || !parent)
		return false;
	*mount = parent;
	*dentry = point;
	return true;
}

bool kt_obj_dentry_path(struct kt_kernel *k, uint64_t mount, uint64_t dentry,
			char *buf, size_t size)
{
	if (size < 2)
		return false;
	buf[0] = '\0';
	for (int depth = 0; depth < MAX_PATH_DEPTH; depth++) {
		uint64_t root = 0, parent;
		if (mount)
			kt_obj_u64(k, mount, "struct mount", "mnt.mnt_root", &root);
		if (mount && dentry == root) {
			if (!cross_mount(k, &mount, &dentry))
				break;
			continue;
		}
		if (!kt_obj_u64(k, dentry, "struct dentry", "d_parent", &parent))
			return false;
		if (parent == dentry)
			break;
		char name[64];
		if (!kt_obj_string(k, dentry, "struct dentry", "d_name.name", true, name,
				   sizeof(name)) || !prepend(buf, size, name))
			return false;
		dentry = parent;
	}
	if (!buf[0])
		snprintf(buf, size, "/");
	return true;
}

/* A super_block's first mount (s_mounts links struct mount.mnt_instance). */
uint64_t kt_obj_sb_mount(struct kt_kernel *k, uint64_t sb)
{
	uint64_t head, first, instance;
	if (!kt_obj_offset(k, "struct super_block", "s_mounts", &head) ||
	    !kt_obj_offset(k, "struct mount", "mnt_instance", &instance))
		return 0;
	struct kt_error *err = kt_kernel_read_u64(k, sb + head, &first);
	if (err || first == sb + head || !kt_kernel_is_kernel_address(k, first)) {
		kt_error_free(err);
		return 0;
	}
	return first - instance;
}
