// SPDX-License-Identifier: MIT
/*
 * A dump's identity: where it is (device, inode), what state it is in (size,
 * mtime) and what it starts with (a sha256 of its first 64 KiB, so that a
 * recycled inode holding another dump is not mistaken for the old one).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktriage/store.h"

static struct kt_error *hash_head(int fd, const char *path, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char buf[16384], md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		return kt_error_create(KT_ERR_NOMEM, "%s: cannot start sha256", path);
	}
	off_t done = 0;
	while (done < KT_IDENTITY_HASH_BYTES) {
		ssize_t n = pread(fd, buf, sizeof(buf), done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			EVP_MD_CTX_free(ctx);
			return kt_error_create(KT_ERR_IO, "%s: %m", path);
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		done += n;
	}
	EVP_DigestFinal_ex(ctx, md, &md_len);
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < md_len && i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
	return NULL;
}

struct kt_error *kt_dump_identity_read(const char *path,
				       struct kt_dump_identity *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return kt_error_create(KT_ERR_IO, "%s: %m", path);
	struct kt_error *err = kt_dump_identity_read_fd(fd, path, out);
	close(fd);
	return err;
}

struct kt_error *kt_dump_identity_read_fd(int fd, const char *path,
					  struct kt_dump_identity *out)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return kt_error_create(KT_ERR_IO, "%s: %m", path);
	if (!S_ISREG(st.st_mode))
		return kt_error_create(KT_ERR_USAGE, "%s: not a regular file", path);
	memset(out, 0, sizeof(*out));
	out->device = st.st_dev;
	out->inode = st.st_ino;
	out->size = (uint64_t)st.st_size;
	out->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return hash_head(fd, path, out->header_hash);
}

bool kt_dump_identity_equal(const struct kt_dump_identity *a,
			    const struct kt_dump_identity *b)
{
	return a->device == b->device && a->inode == b->inode &&
	       a->size == b->size && a->mtime_ns == b->mtime_ns &&
	       strcmp(a->header_hash, b->header_hash) == 0;
}
