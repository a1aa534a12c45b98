# area: kv-auth
# file: consumers/kv/kfkv_target_req.c
# tests: kfkv_dev
# The target's dispatch serves requests before the AUTH exchange: a client
# that skips it reads and writes a store that has a secret.
/^static int kfkv_auth_gate(/,/^}/ s/^\tif (conn->authed)$/\tif (conn->authed || ri->opcode != KFKV_OP_AUTH)/
