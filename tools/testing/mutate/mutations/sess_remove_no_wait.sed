# area: multipath
# file: kfabric/sess.c
# tests: kfi_test_sess
# Removing a path frees it while an operation still holds it.
/wait_var_event(&path->inflight, kfi_sess_path_idle(path));/d
