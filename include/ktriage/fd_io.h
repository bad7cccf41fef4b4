/* SPDX-License-Identifier: MIT */
/*
 * Whole reads and writes on a descriptor: the loop over short counts and
 * EINTR that the daemon's reports, its workers' output and the build
 * cache's files all need (lib/base/fd_io.c).
 */
#ifndef KTRIAGE_FD_IO_H
#define KTRIAGE_FD_IO_H

#include <stddef.h>

/* 0 when all len bytes went out, or -errno (-EIO when write made no progress). */
int kt_write_all(int fd, const void *data, size_t len);
/* 0 when all len bytes came in, or -errno (-EIO at end of file). */
int kt_read_all(int fd, void *data, size_t len);

#endif
