# area: reconnect
# file: consumers/block/kfblk_client.c
# tests: kfblk_reconnect
# A request in flight when the connection was lost gets a fresh MR for
# its resubmission, but the old one is never closed: every reconnect
# leaves MRs behind.
/^static void kfblk_req_new_mr(/,/^}/s/^\tkfi_close(&req->mr->fid);$/\t\/* the old MR is forgotten *\//
