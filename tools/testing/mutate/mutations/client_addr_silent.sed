# area: control
# file: consumers/block/kfblk_client_cfs.c
# tests: kfblk_control
# The client refuses a bad address without saying why in the kernel log.
/^\t\tpr_err("addr: '%\.\*s' is not an IPv4 or IPv6 address\\n",$/,/;$/d
