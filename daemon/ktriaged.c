// SPDX-License-Identifier: MIT
/* ktriaged: the unattended triage service.  Not yet: see issue 16. */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "ktriaged: not yet\n");
	return 1;
}
