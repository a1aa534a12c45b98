# area: multipath
# file: consumers/block/kfblk_client_path.c
# tests: kfblk_paths
# A path taken out of a disk is never freed: its fabric objects, queues
# and MRs stay open until the module goes.
/^int kfblk_dev_remove_path(/,/^}/s/^\t\t\tkfblk_path_free(path);$/\t\t\t; \/* path left open *\//
