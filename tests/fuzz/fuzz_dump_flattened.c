// SPDX-License-Identifier: MIT
/* The flattened stream of makedumpfile -F, and the dump inside it. */
#define FUZZ_MAGIC "makedumpfile"
#include "dump_harness.h"
