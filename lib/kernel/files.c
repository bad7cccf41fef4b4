// SPDX-License-Identifier: MIT
/*
 * A task's open files, as crash's `files` lists them: the fd table
 * (task->files->fdt: max_fds pointers to struct file), each file's dentry
 * and inode, the type from i_mode, and the path the kernel's d_path()
 * would give: names up the d_parent chain, crossing from a mount's root to
 * the dentry it is mounted on (struct mount, around the vfsmount a path
 * holds), until the root of the namespace.  Every walk is bounded; a path
 * that cannot be read is left empty rather than guessed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_FDS (1u << 20)
#define MAX_PATH_DEPTH 256
#define MAX_NAME 256

/* The struct mount around a vfsmount. */
static bool mount_of(struct kt_kernel *k, uint64_t vfsmount, uint64_t *mount)
{
	uint64_t offset;
	struct kt_error *err = kt_type_offsetof(k, "struct mount", "mnt", &offset);
	kt_error_free(err);
	if (err || vfsmount < offset)
		return false;
	*mount = vfsmount - offset;
	return true;
}

/* Prepend "/name" to the path being built from its end. */
static bool prepend_name(struct kt_kernel *k, uint64_t dentry, char *buf,
			 size_t *start)
{
	uint64_t name_ptr, len;
	char name[MAX_NAME];
	if (!kt_try_member(k, dentry, "struct dentry", "d_name.name", &name_ptr) ||
	    !kt_try_member(k, dentry, "struct dentry", "d_name.len", &len))
		return false;
	struct kt_error *err = kt_kernel_read_string(k, name_ptr, name, sizeof(name));
	if (err) {
		kt_error_free(err);
		return false;
	}
	size_t n = strnlen(name, len < sizeof(name) ? (size_t)len : sizeof(name) - 1);
	if (n + 1 > *start)
		return false;
	*start -= n;
	memcpy(buf + *start, name, n);
	buf[--*start] = '/';
	return true;
}

/*
 * d_path(): from dentry up to the root, crossing mounts.  buf gets the
 * path, "" when a link of the chain cannot be read.
 */
static void dentry_path(struct kt_kernel *k, uint64_t vfsmount, uint64_t dentry,
			char *buf, size_t size)
{
	char path[1024];
	size_t start = sizeof(path) - 1;
	path[start] = '\0';
	uint64_t mount, root, parent, mount_parent, mountpoint;
	buf[0] = '\0';
	if (!mount_of(k, vfsmount, &mount))
		return;
	for (int depth = 0; depth < MAX_PATH_DEPTH; depth++) {
		if (!kt_try_member(k, vfsmount, "struct vfsmount", "mnt_root", &root) ||
		    !kt_try_member(k, dentry, "struct dentry", "d_parent", &parent))
			return;
		if (dentry == root || dentry == parent) {
			if (!kt_try_member(k, mount, "struct mount", "mnt_parent", &mount_parent) ||
			    !kt_try_member(k, mount, "struct mount", "mnt_mountpoint", &mountpoint))
				return;
			if (mount_parent == mount || dentry != root)
				break; /* the namespace's root, or a detached tree */
			dentry = mountpoint;
			mount = mount_parent;
			uint64_t offset;
			struct kt_error *err = kt_type_offsetof(k, "struct mount", "mnt", &offset);
			kt_error_free(err);
			vfsmount = mount + offset;
			continue;
		}
		if (!prepend_name(k, dentry, path, &start))
			return;
		dentry = parent;
	}
	snprintf(buf, size, "%s", path[start] ? path + start : "/");
}

static const char *file_type(uint64_t mode)
{
	switch (mode & 0170000) {
	case 0100000: return "REG";
	case 0040000: return "DIR";
	case 0020000: return "CHR";
	case 0060000: return "BLK";
	case 0010000: return "FIFO";
	case 0140000: return "SOCK";
	case 0120000: return "LNK";
	default: return "";
	}
}

static void read_file(struct kt_kernel *k, uint64_t file, struct kt_open_file *f)
{
	uint64_t mnt = 0, mode = 0;
	f->file = file;
	kt_try_member(k, file, "struct file", "f_path.dentry", &f->dentry);
	kt_try_member(k, file, "struct file", "f_path.mnt", &mnt);
	kt_try_member(k, file, "struct file", "f_inode", &f->inode);
	if (f->inode && kt_try_member(k, f->inode, "struct inode", "i_mode", &mode))
		snprintf(f->type, sizeof(f->type), "%s", file_type(mode));
	if (mnt && f->dentry)
		dentry_path(k, mnt, f->dentry, f->path, sizeof(f->path));
}

static void fs_paths(struct kt_kernel *k, const struct kt_task *t,
		     struct kt_task_files *out)
{
	uint64_t fs, mnt, dentry;
	if (!kt_try_member(k, t->address, "struct task_struct", "fs", &fs) || !fs)
		return;
	if (kt_try_member(k, fs, "struct fs_struct", "root.mnt", &mnt) &&
	    kt_try_member(k, fs, "struct fs_struct", "root.dentry", &dentry))
		dentry_path(k, mnt, dentry, out->root, sizeof(out->root));
	if (kt_try_member(k, fs, "struct fs_struct", "pwd.mnt", &mnt) &&
	    kt_try_member(k, fs, "struct fs_struct", "pwd.dentry", &dentry))
		dentry_path(k, mnt, dentry, out->cwd, sizeof(out->cwd));
}

static struct kt_error *read_fds(struct kt_kernel *k, uint64_t fdt,
				 struct kt_task_files *out)
{
	uint64_t max_fds, array;
	if (!kt_try_member(k, fdt, "struct fdtable", "max_fds", &max_fds) ||
	    !kt_try_member(k, fdt, "struct fdtable", "fd", &array))
		return kt_error_create(KT_ERR_INVALID, "fdtable at 0x%llx cannot be read",
				       (unsigned long long)fdt);
	if (max_fds > MAX_FDS) {
		max_fds = MAX_FDS;
		out->partial = true;
	}
	for (uint64_t fd = 0; fd < max_fds; fd++) {
		uint64_t file;
		struct kt_error *err = kt_kernel_read_u64(k, array + fd * 8, &file);
		if (err) {
			kt_error_free(err);
			out->partial = true;
			break;
		}
		if (!file)
			continue;
		struct kt_open_file *grown = realloc(out->files, (out->count + 1) * sizeof(*grown));
		if (!grown)
			return &kt_error_out_of_memory;
		out->files = grown;
		struct kt_open_file *f = &out->files[out->count++];
		memset(f, 0, sizeof(*f));
		f->fd = (int)fd;
		read_file(k, file, f);
	}
	return NULL;
}

struct kt_error *kt_task_files(struct kt_kernel *k, const struct kt_task *t,
			       struct kt_task_files *out)
{
	memset(out, 0, sizeof(*out));
	uint64_t files, fdt;
	fs_paths(k, t, out);
	if (!kt_try_member(k, t->address, "struct task_struct", "files", &files))
		return kt_error_create(KT_ERR_INVALID, "task %d: files cannot be read", t->pid);
	if (!files)
		return NULL; /* an exited task, or a kernel thread without files */
	if (!kt_try_member(k, files, "struct files_struct", "fdt", &fdt))
		return kt_error_create(KT_ERR_INVALID, "task %d: files->fdt cannot be read", t->pid);
	struct kt_error *err = read_fds(k, fdt, out);
	if (err)
		kt_task_files_free(out);
	return err;
}

void kt_task_files_free(struct kt_task_files *files)
{
	free(files->files);
	files->files = NULL;
	files->count = 0;
}
