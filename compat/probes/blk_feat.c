// SPDX-License-Identifier: GPL-2.0
/* Write cache, FUA and rotational are BLK_FEAT_* flags of the queue limits. */
#include <linux/blkdev.h>

void kfi_probe(struct queue_limits *lim);

void kfi_probe(struct queue_limits *lim)
{
	lim->features |= BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA;
	lim->features &= ~BLK_FEAT_ROTATIONAL;
}
