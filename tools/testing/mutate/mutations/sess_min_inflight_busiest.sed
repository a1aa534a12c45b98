# area: multipath
# file: kfabric/sess.c
# tests: kfi_test_sess
# Min-inflight picks the busiest live path instead of the idlest.
s/(!best || atomic_read(&path->inflight) <$/(!best || atomic_read(\&path->inflight) >/
