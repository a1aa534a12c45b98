# area: write-ordering
# file: consumers/block/kfblk_client.c
# tests: kfblk_blkops
# The client ignores the export's volatile write cache, so fsync() never
# sends a FLUSH and acknowledged data can sit in the backing cache.
s/^\treturn (g->caps & KFBLK_CAP_WRITE_CACHE ? KFI_DISK_WRITE_CACHE : 0) |$/\treturn (0 \&\& g->caps \& KFBLK_CAP_WRITE_CACHE ? KFI_DISK_WRITE_CACHE : 0) |/
