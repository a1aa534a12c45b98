# area: data path
# file: providers/tcp/io.c
# tests: kfi_test_tcp
# A cancelled receive leaves the ring without the others closing the gap:
# the last one's entry falls off, and a message lands in the cancelled
# buffer the consumer was just given back.
/^static void kfit_recv_remove(/,/^}/s/^\tfor (; i + 1 < e->recv_count; i++)$/\tfor (; 0; i++)/
