# area: credits
# file: providers/tcp/io.c
# tests: kfi_test_tcp
# A message taken from a shared receive context is not granted back to
# the peer: its window of credits runs dry after 4,096 messages and it
# can send no more.
/^static void kfit_rx_recv_done(/,/^}/{/^\tif (e->base.srx)$/{N;/kfi_credit_add_grant(&e->base, 1);$/d}}
