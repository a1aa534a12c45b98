// SPDX-License-Identifier: GPL-2.0
/* blk_mq_alloc_disk() takes the queue limits to validate and apply. */
#include <linux/blk-mq.h>

struct gendisk *kfi_probe(struct blk_mq_tag_set *set,
			  struct queue_limits *lim);

struct gendisk *kfi_probe(struct blk_mq_tag_set *set,
			  struct queue_limits *lim)
{
	return blk_mq_alloc_disk(set, lim, NULL);
}
