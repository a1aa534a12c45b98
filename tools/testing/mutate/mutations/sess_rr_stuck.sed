# area: multipath
# file: kfabric/sess.c
# tests: kfi_test_sess
# Round-robin never moves its cursor: every operation goes to one path.
s/atomic_fetch_inc(&sess->rr)/atomic_read(\&sess->rr)/
