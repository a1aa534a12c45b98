# area: invalidation
# file: consumers/block/kfblk_client.c
# tests: kfblk_stale_key
# The client completes a request the target did not invalidate without
# invalidating its key itself: the target can still reach the pages.
s/^\tif (test_bit(KFBLK_REQ_MAPPED, &req->flags)) {$/\tif (test_and_clear_bit(KFBLK_REQ_MAPPED, \&req->flags) \&\&\n\t    (e->flags \& KFI_MR_INVALIDATED)) {/
