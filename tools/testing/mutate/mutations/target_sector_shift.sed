# area: data-path
# file: consumers/block/kfblk_target_io.c
# tests: kfblk_write_ack kfblk_blkops
# The target reads and writes one sector off: consistent through kfblk,
# wrong on the backing device.
s/^\tbio->bi_iter.bi_sector = ci->sector;$/\tbio->bi_iter.bi_sector = ci->sector + 1;/
