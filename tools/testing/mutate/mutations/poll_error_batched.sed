# area: data integrity
# file: consumers/block/kfblk_client.c
# tests: kfblk_poll
# A polled request that failed joins blk-mq's completion batch, which
# ends every request with success: the error is lost.
# poll.error_not_batched reads a bad block and gets no error.
s/^\t    !blk_mq_add_to_batch(rq, iob, req->status != BLK_STS_OK,$/\t    !blk_mq_add_to_batch(rq, iob, false,/
