# area: data path
# file: providers/tcp/io.c
# tests: kfi_test_tcp
# A receive taken from a shared receive context names the context in its
# completion, not the endpoint its message came in on: the consumer cannot
# tell its connections apart.
/^static struct kfid_ep \*kfit_recv_ep(/,/^}/s/^\treturn e->base.srx ? &e->base : NULL;$/\treturn e->base.srx;/
