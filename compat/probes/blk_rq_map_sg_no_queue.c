// SPDX-License-Identifier: GPL-2.0
/* blk_rq_map_sg() takes the request alone, not its queue as well. */
#include <linux/blk-mq.h>

int kfi_probe(struct request *rq, struct scatterlist *sgl);

int kfi_probe(struct request *rq, struct scatterlist *sgl)
{
	return blk_rq_map_sg(rq, sgl);
}
