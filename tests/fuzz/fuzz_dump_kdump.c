// SPDX-License-Identifier: MIT
/* The kdump-compressed reader: header, sub-header, bitmaps, descriptors. */
#define FUZZ_MAGIC "KDUMP   "
#include "dump_harness.h"
