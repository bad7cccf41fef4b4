/* SPDX-License-Identifier: MIT */
/*
 * The base layer's public header (lib/base): errors as values, the one
 * escaping rule of every output, the bounds-checked byte readers and whole
 * reads and writes on a descriptor.  Its
 * parts are kept in files of their own; include this one
 * (tools/check-layers holds everyone outside the layer to it).
 */
#ifndef KTRIAGE_BASE_H
#define KTRIAGE_BASE_H

#include "ktriage/bytes.h"
#include "ktriage/error.h"
#include "ktriage/escape.h"
#include "ktriage/fd_io.h"

#endif
