# area: kv-auth
# file: consumers/kv/kfkv_target_req.c
# tests: kfkv_dev
# The target takes any proof in an AUTH: a host that does not know the
# store's secret is served (only the client's check of the target's
# proof would still notice, and a hostile client does not check).
s/^\tret = kfkv_auth_check(st->secret, st->secret_len, true, conn->nonce,$/\tret = 0 * kfkv_auth_check(st->secret, st->secret_len, true, conn->nonce,/
