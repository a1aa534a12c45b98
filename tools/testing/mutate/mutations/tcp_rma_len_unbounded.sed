# area: wire-validation
# file: providers/tcp/kfit_proto.c
# tests: kfi_test_tcp_hostile
# The validator lets a WRITE or READ name a payload past the largest
# message: the peer keeps its connection.
s/^\t\treturn m->len <= lim->max_msg && m->id < lim->peer_rma ?$/\t\treturn m->id < lim->peer_rma ?/
