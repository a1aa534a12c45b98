# area: reconnect
# file: kfabric/sess.c
# tests: kfblk_reconnect
# A reconnect the peer refuses (nobody listens on the port: the target
# is back but its export is not yet) is taken as final: the session gives
# up at once instead of trying again after the delay.
s/^\t\tkfi_sess_event(path, KFI_SESS_EV_RECONNECT_FAILED, why);$/&\n\t\tif (ret == -ECONNREFUSED) {\n\t\t\tkfi_sess_give_up(path, "refused");\n\t\t\treturn true;\n\t\t}/
