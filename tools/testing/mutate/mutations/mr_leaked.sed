# area: teardown
# file: consumers/block/kfblk_client_path.c
# tests: kfblk_map_unmap
# Unmapping a device forgets to close its paths' MRs: each mapping
# leaves fast-registration MRs behind on the RDMA device.
/^static void kfblk_path_free_mrs(/,/^}/s/^\t\tkfblk_mr_free(&path->mrs\[i\]);$/\t\t; \/* MR left open *\//
