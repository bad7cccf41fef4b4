// SPDX-License-Identifier: MIT
/*
 * A lock in the heap is named by the object that contains it, the way an
 * engineer would say it: "the ext4 file system on vda at /srv/mqueue,
 * frozen", "mmap_lock of pid 57's mm", "i_rwsem of /srv/mqueue/q0.dat".
 * Each kind of object is recognised by something only it has:
 *
 *   super_block    it is on the super_blocks list (they are kmalloc'd);
 *   mm_struct      its slab cache "mm_struct"; the process is mm->owner or
 *                  the task whose ->mm it is;
 *   inode          a cache named *inode*; the struct inode inside the fs's
 *                  own object is where i_mapping points at its own i_data;
 *   cgroup         kmalloc'd, but its self.cgroup points back at it;
 *   request_queue, block_device  their caches "request_queue", "bdev_cache".
 *
 * Every offset comes from the types; a member or object that cannot be read
 * leaves the name to the next namer, and in the end to "struct TYPE+off".
 */
#include <stdio.h>
#include <string.h>

#include "object_names.h"

/* A file system's inode object is a few KiB; a larger cache is not one. */
#define MAX_INODE_OBJECT (16u << 10)

static const struct kt_obj_member sb_members[] = {
	{ "s_writers.rw_sem", "struct percpu_rw_semaphore" }, { "s_umount", NULL },
	{ "s_vfs_rename_mutex", NULL }, { "s_sync_lock", NULL },
	{ "s_inode_list_lock", NULL }, { "s_inode_wblist_lock", NULL },
	{ "s_writers", NULL }, { NULL, NULL },
};
static const struct kt_obj_member mm_members[] = {
	{ "mmap_lock", NULL }, { "mmap_sem", NULL }, { "page_table_lock", NULL },
	{ "arg_lock", NULL }, { "ioctx_lock", NULL }, { NULL, NULL },
};
static const struct kt_obj_member inode_members[] = {
	{ "i_rwsem", NULL }, { "i_lock", NULL }, { "i_data.i_mmap_rwsem", NULL },
	{ "i_data.invalidate_lock", NULL }, { "i_data.private_lock", NULL },
	{ "i_data.i_private_lock", NULL }, { "i_data", NULL }, { NULL, NULL },
};
static const struct kt_obj_member queue_members[] = {
	{ "sysfs_lock", NULL }, { "sysfs_dir_lock", NULL }, { "queue_lock", NULL },
	{ "requeue_lock", NULL }, { "debugfs_mutex", NULL }, { "rq_qos_mutex", NULL },
	{ "limits_lock", NULL }, { "mq_freeze_lock", NULL }, { "elevator_lock", NULL },
	{ NULL, NULL },
};
static const struct kt_obj_member bdev_members[] = {
	{ "bd_fsfreeze_mutex", NULL }, { "bd_holder_lock", NULL },
	{ "bd_size_lock", NULL }, { NULL, NULL },
};
static const struct kt_obj_member task_members[] = {
	{ "alloc_lock", NULL }, { "pi_lock", NULL }, { "pi_waiters", NULL },
	{ "signal", NULL }, { NULL, NULL },
};

/* "member of " or "+0x40 of ": what part of the object the address is. */
static void part(struct kt_kernel *k, const char *type, const struct kt_obj_member *members,
		 uint64_t offset, char *buf, size_t size)
{
	char member[64];
	if (kt_obj_member_at(k, type, members, offset, member, sizeof(member)))
		snprintf(buf, size, "%s of ", member);
	else
		snprintf(buf, size, "+0x%llx of ", (unsigned long long)offset);
}

static bool type_size(struct kt_kernel *k, const char *type, uint64_t *size)
{
	struct kt_error *err = kt_type_sizeof(k, type, size);
	kt_error_free(err);
	return !err && *size;
}

/* ---- super_block ------------------------------------------------------ */

static uint64_t super_block_at(struct kt_kernel *k, uint64_t address)
{
	uint64_t head, s_list, size;
	struct kt_error *err = kt_symbol_address(k, "super_blocks", &head);
	if (err || !kt_obj_offset(k, "struct super_block", "s_list", &s_list) ||
	    !type_size(k, "struct super_block", &size)) {
		kt_error_free(err);
		return 0;
	}
	struct kt_list_walk walk;
	kt_list_walk_kernel(&walk, k, head);
	uint64_t node, found = 0;
	while (!found && !(err = kt_list_walk_next(&walk, &node)) && node)
		if (address >= node - s_list && address - (node - s_list) < size)
			found = node - s_list;
	kt_error_free(err);
	kt_list_walk_destroy(&walk);
	return found;
}

/* "frozen by FIFREEZE" and the like, "" when not frozen. */
static void freeze_state(struct kt_kernel *k, uint64_t sb, char *buf, size_t size)
{
	uint64_t frozen = 0, ucount = 0, kcount = 0;
	int64_t complete = 0;
	buf[0] = '\0';
	struct kt_error *err = kt_type_enum_value(k, NULL, "SB_FREEZE_COMPLETE", &complete);
	kt_error_free(err);
	if (err || !kt_obj_u64(k, sb, "struct super_block", "s_writers.frozen", &frozen) ||
	    !frozen)
		return;
	/* 6.6+ count who froze it: userspace (FIFREEZE) or the kernel. */
	kt_obj_u64(k, sb, "struct super_block", "s_writers.freeze_ucount", &ucount);
	kt_obj_u64(k, sb, "struct super_block", "s_writers.freeze_kcount", &kcount);
	if ((int64_t)(int32_t)frozen != complete)
		snprintf(buf, size, ", freezing (level %d)", (int)(int32_t)frozen);
	else if (ucount && !kcount)
		snprintf(buf, size, ", frozen by userspace (FIFREEZE), not thawed");
	else if (kcount)
		snprintf(buf, size, ", frozen by the kernel, not thawed");
	else
		snprintf(buf, size, ", frozen (FIFREEZE or freeze_bdev), not thawed");
}

static bool name_super_block(struct kt_kernel *k, uint64_t address, char *buf, size_t size)
{
	uint64_t sb = super_block_at(k, address), type;
	if (!sb)
		return false;
	char id[40] = "?", fs[32] = "?", mnt[128] = "", frozen[64], what[80];
	kt_obj_string(k, sb, "struct super_block", "s_id", false, id, sizeof(id));
	if (kt_obj_u64(k, sb, "struct super_block", "s_type", &type))
		kt_obj_string(k, type, "struct file_system_type", "name", true, fs, sizeof(fs));
	uint64_t mount = kt_obj_sb_mount(k, sb), root;
	if (mount && kt_obj_u64(k, mount, "struct mount", "mnt.mnt_root", &root))
		kt_obj_dentry_path(k, mount, root, mnt, sizeof(mnt));
	freeze_state(k, sb, frozen, sizeof(frozen));
	part(k, "struct super_block", sb_members, address - sb, what, sizeof(what));
	snprintf(buf, size, "%ssuper_block %s (%s%s%s%s)", what, id, fs, mnt[0] ? " at " : "",
		 mnt, frozen);
	return true;
}

/* ---- mm_struct, task_struct ------------------------------------------- */

static const struct kt_task *task_of_mm(struct kt_kernel *k, uint64_t mm)
{
	uint64_t owner;
	if (kt_obj_u64(k, mm, "struct mm_struct", "owner", &owner) && owner) {
		const struct kt_task *t = kt_task_by_address(k, owner);
		if (t)
			return t;
	}
	const struct kt_task *tasks;
	size_t count;
	struct kt_error *err = kt_tasks(k, &tasks, &count);
	if (err) {
		kt_error_free(err);
		return NULL;
	}
	for (size_t i = 0; i < count; i++) {
		uint64_t value;
		if (kt_obj_u64(k, tasks[i].address, "struct task_struct", "mm", &value) &&
		    value == mm)
			return &tasks[i];
	}
	return NULL;
}

static bool name_mm(struct kt_kernel *k, uint64_t address, const struct kt_slab_object *o,
		    char *buf, size_t size)
{
	char what[80];
	part(k, "struct mm_struct", mm_members, o->offset, what, sizeof(what));
	const struct kt_task *t = task_of_mm(k, o->object);
	if (t)
		snprintf(buf, size, "%smm_struct of pid %d (%s)", what, t->pid, t->comm);
	else
		snprintf(buf, size, "%smm_struct 0x%llx (no task uses it)", what,
			 (unsigned long long)o->object);
	(void)address;
	return true;
}

void kt_object_task_member(struct kt_kernel *k, uint64_t offset, char *buf, size_t size)
{
	if (!kt_obj_member_at(k, "struct task_struct", task_members, offset, buf, size))
		buf[0] = '\0';
}

/* ---- inode ------------------------------------------------------------ */

/* Where the struct inode lies in a file system's inode object, or false. */
static bool find_vfs_inode(struct kt_kernel *k, const struct kt_slab_object *o,
			   uint64_t *inode)
{
	uint64_t mapping, data, size;
	if (!kt_obj_offset(k, "struct inode", "i_mapping", &mapping) ||
	    !kt_obj_offset(k, "struct inode", "i_data", &data) ||
	    !type_size(k, "struct inode", &size) || size > o->size ||
	    o->size > MAX_INODE_OBJECT)
		return false;
	/* Cheap first: the fs object starts or ends with it, mostly. */
	for (uint64_t at = 0; at + size <= o->size; at += 8) {
		uint64_t value;
		struct kt_error *err = kt_kernel_read_u64(k, o->object + at + mapping, &value);
		if (err) {
			kt_error_free(err);
			return false;
		}
		if (value == o->object + at + data) {
			*inode = o->object + at;
			return true;
		}
	}
	return false;
}

static void inode_path(struct kt_kernel *k, uint64_t inode, char *buf, size_t size)
{
	uint64_t first, alias, sb;
	buf[0] = '\0';
	if (!kt_obj_u64(k, inode, "struct inode", "i_dentry.first", &first) || !first ||
	    !kt_obj_offset(k, "struct dentry", "d_u.d_alias", &alias) ||
	    !kt_obj_u64(k, inode, "struct inode", "i_sb", &sb))
		return;
	if (!kt_obj_dentry_path(k, kt_obj_sb_mount(k, sb), first - alias, buf, size))
		buf[0] = '\0';
}

static bool name_inode(struct kt_kernel *k, uint64_t address, const struct kt_slab_object *o,
		       char *buf, size_t size)
{
	uint64_t inode, inode_size, ino = 0;
	if (!find_vfs_inode(k, o, &inode) || !type_size(k, "struct inode", &inode_size) ||
	    address < inode || address - inode >= inode_size)
		return false;
	char what[80], path[160];
	part(k, "struct inode", inode_members, address - inode, what, sizeof(what));
	kt_obj_u64(k, inode, "struct inode", "i_ino", &ino);
	inode_path(k, inode, path, sizeof(path));
	snprintf(buf, size, "%sinode %llu%s%s%s (%s)", what, (unsigned long long)ino,
		 path[0] ? " (" : "", path, path[0] ? ")" : "", o->cache);
	return true;
}

/* ---- cgroup, block layer ---------------------------------------------- */

static bool name_cgroup(struct kt_kernel *k, const struct kt_slab_object *o, char *buf,
			size_t size)
{
	uint64_t self, kn, cgroup_size;
	if (!kt_obj_u64(k, o->object, "struct cgroup", "self.cgroup", &self) ||
	    self != o->object || !type_size(k, "struct cgroup", &cgroup_size) ||
	    o->offset >= cgroup_size)
		return false;
	char name[64] = "?";
	if (kt_obj_u64(k, o->object, "struct cgroup", "kn", &kn))
		kt_obj_string(k, kn, "struct kernfs_node", "name", true, name, sizeof(name));
	snprintf(buf, size, "+0x%llx of cgroup %s (%s)", (unsigned long long)o->offset,
		 name, o->cache);
	return true;
}

static bool disk_name(struct kt_kernel *k, uint64_t disk, char *buf, size_t size)
{
	return disk && kt_obj_string(k, disk, "struct gendisk", "disk_name", false, buf, size);
}

static bool name_queue(struct kt_kernel *k, const struct kt_slab_object *o, char *buf,
		       size_t size)
{
	uint64_t disk = 0;
	char what[80], name[40] = "?";
	if (kt_obj_u64(k, o->object, "struct request_queue", "disk", &disk))
		disk_name(k, disk, name, sizeof(name));
	part(k, "struct request_queue", queue_members, o->offset, what, sizeof(what));
	snprintf(buf, size, "%srequest_queue of %s", what, name);
	return true;
}

/* bdev_cache holds struct bdev_inode { struct block_device bdev; ... }. */
static bool name_bdev(struct kt_kernel *k, const struct kt_slab_object *o, char *buf,
		      size_t size)
{
	uint64_t bdev_size, disk = 0, partno = 0;
	if (!type_size(k, "struct block_device", &bdev_size) || o->offset >= bdev_size)
		return false;
	char what[80], name[40] = "?";
	if (kt_obj_u64(k, o->object, "struct block_device", "bd_disk", &disk))
		disk_name(k, disk, name, sizeof(name));
	kt_obj_u64(k, o->object, "struct block_device", "bd_partno", &partno);
	part(k, "struct block_device", bdev_members, o->offset, what, sizeof(what));
	if (partno)
		snprintf(buf, size, "%sblock device %s%llu", what, name, (unsigned long long)partno);
	else
		snprintf(buf, size, "%sblock device %s", what, name);
	return true;
}

/* A cache named after its struct: "struct files_struct+0x10 (files_cache)". */
static bool name_by_cache_type(struct kt_kernel *k, const struct kt_slab_object *o,
			       char *buf, size_t size)
{
	char type[80];
	uint64_t type_bytes;
	snprintf(type, sizeof(type), "struct %s", o->cache);
	if (!type_size(k, type, &type_bytes) || type_bytes > o->size || o->offset >= type_bytes)
		return false;
	snprintf(buf, size, "%s+0x%llx (%s)", type, (unsigned long long)o->offset, o->cache);
	return true;
}

bool kt_object_name(struct kt_kernel *k, uint64_t address, const struct kt_slab_object *o,
		    char *buf, size_t size)
{
	if (name_super_block(k, address, buf, size))
		return true;
	if (!o)
		return false;
	if (strcmp(o->cache, "mm_struct") == 0)
		return name_mm(k, address, o, buf, size);
	if (strcmp(o->cache, "request_queue") == 0)
		return name_queue(k, o, buf, size);
	if (strcmp(o->cache, "bdev_cache") == 0 && name_bdev(k, o, buf, size))
		return true;
	if (strstr(o->cache, "inode") && name_inode(k, address, o, buf, size))
		return true;
	if (strncmp(o->cache, "kmalloc-", 8) == 0 && name_cgroup(k, o, buf, size))
		return true;
	return name_by_cache_type(k, o, buf, size);
}
