// SPDX-License-Identifier: MIT
/* Modules and taint.  PLACEHOLDER being replaced by the modules work (issue 11). */
#include "internal.h"

bool kt_module_symbol_at(struct kt_kernel *k, uint64_t address,
			 struct kt_symbol *symbol, uint64_t *offset)
{
	return false;
}

bool kt_module_text_contains(struct kt_kernel *k, uint64_t address)
{
	return false;
}

void kt_modules_destroy(struct kt_kernel *k)
{
}
