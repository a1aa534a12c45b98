# area: teardown
# file: consumers/block/kfblk_client.c
# tests: kfblk_map_unmap
# Unmapping a device forgets to close its requests' MRs: each mapping
# leaves fast-registration MRs behind on the RDMA device.
/^static void kfblk_exit_request(/,/^}/s/^\t\tkfi_close(&req->mr->fid);$/\t\t\/* MR left open *\//
