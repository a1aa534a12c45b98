# area: multipath
# file: kfabric/sess.c
# tests: kfi_test_sess
# The last put on a path being removed does not wake the remover.
/wake_up_var(&path->inflight);/s/wake_up_var(&path->inflight);/(void)0;/
