// SPDX-License-Identifier: GPL-2.0
/* Workqueues say whether they are per-CPU (WQ_PERCPU) or WQ_UNBOUND. */
#include <linux/workqueue.h>

unsigned int kfi_probe(void);

unsigned int kfi_probe(void)
{
	return WQ_PERCPU;
}
