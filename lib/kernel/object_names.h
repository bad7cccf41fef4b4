/* SPDX-License-Identifier: MIT */
/*
 * Naming a heap object by what it is (object_names.c, object_paths.c): the
 * super_block of a file system, a process's mm_struct, an inode and its
 * path, a cgroup, a block device or its request_queue; not a public header.
 */
#ifndef KTRIAGE_KERNEL_OBJECT_NAMES_H
#define KTRIAGE_KERNEL_OBJECT_NAMES_H

#include "internal.h"
#include "slab.h"

/* A member an address may fall in; element: the array's element type. */
struct kt_obj_member {
	const char *name;
	const char *element;
};

bool kt_obj_u64(struct kt_kernel *kernel, uint64_t base, const char *type,
		const char *member, uint64_t *value);
bool kt_obj_offset(struct kt_kernel *kernel, const char *type, const char *member,
		   uint64_t *offset);
/* A char array member, or (pointer) the string a char * member points at. */
bool kt_obj_string(struct kt_kernel *kernel, uint64_t base, const char *type,
		   const char *member, bool pointer, char *buf, size_t size);
/* "s_writers.rw_sem[0]": the first of members (ends with a NULL name)
 * holding offset; false when none does. */
bool kt_obj_member_at(struct kt_kernel *kernel, const char *type,
		      const struct kt_obj_member *members, uint64_t offset,
		      char *buf, size_t size);
/* "/srv/mqueue/spool": a dentry's path, mount (struct mount, may be 0) up. */
bool kt_obj_dentry_path(struct kt_kernel *kernel, uint64_t mount, uint64_t dentry,
			char *buf, size_t size);
/* The first struct mount of a super_block, 0 when none. */
uint64_t kt_obj_sb_mount(struct kt_kernel *kernel, uint64_t sb);

/*
 * "s_writers.rw_sem[0] of super_block vda (ext4 at /srv/mqueue, frozen)":
 * the object an address lies in, when it is one of the kinds above (o: its
 * slab object, NULL when it is in none).  False when none fits.
 */
bool kt_object_name(struct kt_kernel *kernel, uint64_t address,
		    const struct kt_slab_object *o, char *buf, size_t size);
/* The member of a task_struct an offset falls in, "" when not known. */
void kt_object_task_member(struct kt_kernel *kernel, uint64_t offset, char *buf,
			   size_t size);

#endif
