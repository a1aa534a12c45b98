# area: kv-hostile
# file: consumers/kv/kfkv_target_req.c
# tests: kfkv_ops
# A request whose lengths do not add up is answered instead of ending
# the connection.
s/^\tif (st < 0) {$/\tif (st < 0 \&\& 0) {/
