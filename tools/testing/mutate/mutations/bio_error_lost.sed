# area: data-path
# file: consumers/block/kfblk_target_io.c
# tests: kfblk_write_ack
# The target answers OK whatever the backing device said: a failed write
# is acknowledged.
s/^\tslot->status = kfblk_blk_to_status(sts);$/\tslot->status = kfblk_blk_to_status(BLK_STS_OK);/
