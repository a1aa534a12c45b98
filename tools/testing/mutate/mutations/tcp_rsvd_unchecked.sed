# area: wire-validation
# file: providers/tcp/kfit_proto.c
# tests: kfi_test_tcp
# The header validator lets a non-zero reserved byte through: a peer that
# breaks the protocol keeps its connection.
s/^\t    h.rsvd)$/\t    !h.version)/
