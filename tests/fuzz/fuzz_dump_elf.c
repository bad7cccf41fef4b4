// SPDX-License-Identifier: MIT
/* The ELF core reader (/proc/vmcore copies, makedumpfile -E, QEMU). */
#define FUZZ_MAGIC "\177ELF"
#include "dump_harness.h"
