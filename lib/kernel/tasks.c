// SPDX-License-Identifier: MIT
/* Tasks.  PLACEHOLDER being replaced by the tasks work (issue 11). */
#include "internal.h"

void kt_tasks_destroy(struct kt_kernel *k)
{
}
