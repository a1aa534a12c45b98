// SPDX-License-Identifier: GPL-2.0
/* Tag sets ask for request merging with BLK_MQ_F_SHOULD_MERGE. */
#include <linux/blk-mq.h>

unsigned int kfi_probe(void);

unsigned int kfi_probe(void)
{
	return BLK_MQ_F_SHOULD_MERGE;
}
