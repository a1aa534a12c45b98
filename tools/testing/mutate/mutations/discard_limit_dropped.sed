# area: data-path
# file: consumers/block/kfblk_client.c
# tests: kfblk_blkops
# The export's discard support is not passed on to the client's queue.
/^\t\tlim->max_hw_discard_sectors = g->max_discard_sectors;$/d
