# area: data path
# file: providers/verbs/post.c
# tests: kfi_test_verbs
# A message taken from a shared receive queue completes without naming
# the endpoint it came in on: the consumer cannot tell its connections
# apart.
/^static void kfiv_srx_recv_done(/,/^}/{/^\t\t\.ep = &ep->base,$/d}
