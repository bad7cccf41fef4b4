// SPDX-License-Identifier: MIT
/*
 * Where the kernel's BTF comes from: the dump's own __start_BTF..__stop_BTF
 * (or the build cache's copy of it, checked against the dump),
 * a --btf file, or a kept file the caller already opened (the daemon's
 * sandboxed worker opens nothing).  Each yields a libbpf struct btf; sizes
 * are bounded before anything is allocated.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "types.h"

#define MAX_BTF_SIZE (256u << 20)

struct kt_error *kt_btf_from_buffer(const void *data, size_t size,
				       struct btf **out)
{
	if (size > MAX_BTF_SIZE)
		return kt_error_create(KT_ERR_INVALID,
				       "kernel BTF: %zu bytes is implausible", size);
	struct btf *btf = btf__new(data, (uint32_t)size);
	if (!btf)
		return kt_error_create(KT_ERR_FORMAT, "kernel BTF: libbpf: %s",
				       strerror(errno));
	*out = btf;
	return NULL;
}

struct kt_error *kt_btf_from_dump(struct kt_kernel *k, struct btf **out)
{
	uint64_t start, stop;
	struct kt_error *err = kt_symbol_address(k, "__start_BTF", &start);
	if (!err)
		err = kt_symbol_address(k, "__stop_BTF", &stop);
	if (err)
		return kt_error_wrap(err, "kernel BTF (CONFIG_DEBUG_INFO_BTF?; else give --btf FILE)");
	if (stop <= start || stop - start > MAX_BTF_SIZE)
		return kt_error_create(KT_ERR_INVALID,
				       "kernel BTF: __start_BTF 0x%llx..__stop_BTF 0x%llx is implausible",
				       (unsigned long long)start, (unsigned long long)stop);
	size_t size = (size_t)(stop - start);
	void *data = kt_btf_cache_get(k, start, size);
	if (!data) {
		data = malloc(size);
		if (!data)
			return &kt_error_out_of_memory;
		err = kt_kernel_read(k, start, data, size);
		if (err) {
			free(data);
			return kt_error_wrap(err, "kernel BTF");
		}
		kt_btf_cache_put(k, data, size);
	}
	err = kt_btf_from_buffer(data, size, out);
	free(data);
	if (err)
		return kt_error_wrap(err, "kernel BTF at 0x%llx unusable (give --btf FILE)",
				     (unsigned long long)start);
	return err;
}

struct kt_error *kt_btf_from_file(const char *path, struct btf **out)
{
	struct btf *btf = btf__parse(path, NULL);
	if (!btf)
		return kt_error_create(KT_ERR_FORMAT, "%s: BTF: %s", path,
				       strerror(errno));
	*out = btf;
	return NULL;
}

/* A kept BTF file the caller opened: read whole (bounded), then parsed. */
/* /sys/kernel/btf/vmlinux is ~5 MB; a kept file is never near this. */
#define KT_MAX_KEPT_BTF (256 << 20)

struct kt_error *kt_btf_from_fd(int fd, const char *name, struct btf **out)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > KT_MAX_KEPT_BTF)
		return kt_error_create(KT_ERR_FORMAT, "%s: not a BTF file of a usable size", name);
	size_t size = (size_t)st.st_size, done = 0;
	unsigned char *data = malloc(size);
	while (data && done < size) {
		ssize_t n = pread(fd, data + done, size - done, (off_t)done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	struct btf *btf = data && done == size ? btf__new(data, (uint32_t)size) : NULL;
	int saved = errno;
	free(data);
	if (!btf)
		return kt_error_create(KT_ERR_FORMAT, "%s: BTF: %s", name,
				       done == size ? strerror(saved) : "short read");
	*out = btf;
	return NULL;
}

