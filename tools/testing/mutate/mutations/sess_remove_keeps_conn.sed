# area: multipath
# file: kfabric/sess.c
# tests: kfi_test_sess
# Removing a live path leaves its connections up (no disconnect callback).
/^int kfi_sess_remove_path(/,/^}/{/kfi_sess_disconnect(path);/d}
