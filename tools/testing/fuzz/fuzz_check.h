/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CHECK() for the protocol fuzzers: a property that does not hold aborts
 * the run, which libFuzzer reports as a crash with the input saved.
 */
#ifndef _KFI_FUZZ_CHECK_H
#define _KFI_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();					\
		}							\
	} while (0)

#endif /* _KFI_FUZZ_CHECK_H */
