// SPDX-License-Identifier: GPL-2.0
/* blk_mq_ops.init_request() gets the NUMA node as an int. */
#include <linux/blk-mq.h>

int kfi_probe_init(struct blk_mq_tag_set *set, struct request *rq,
		   unsigned int hctx_idx, int numa_node);

int kfi_probe_init(struct blk_mq_tag_set *set, struct request *rq,
		   unsigned int hctx_idx, int numa_node)
{
	return 0;
}

const struct blk_mq_ops kfi_probe = {
	.init_request = kfi_probe_init,
};
