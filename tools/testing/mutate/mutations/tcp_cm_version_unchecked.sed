# area: wire-validation
# file: providers/tcp/kfit_proto.c
# tests: kfi_test_tcp
# The header validator takes any protocol version: a connection request
# of another version is reported instead of dropped.
s/^\tif (h.version != KFIT_PROTO_VERSION || !h.op || h.op >= KFIT_OP_MAX ||$/\tif (!h.op || h.op >= KFIT_OP_MAX ||/
