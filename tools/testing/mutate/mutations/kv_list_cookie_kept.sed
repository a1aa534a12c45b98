# area: kv-list
# file: consumers/kv/kfkv_store.c
# tests: kfkv_ops
# A LIST resumed with a cookie starts at the cookie's key instead of
# after it: the key is listed twice.
s/^\t\tobj = kfkv_index_from(st, cookie, ri->inline_len, false);$/\t\tobj = kfkv_index_from(st, cookie, ri->inline_len, true);/
