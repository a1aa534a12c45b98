# area: kv-reconnect
# file: consumers/kv/kfkv_client.c
# tests: kfkv_hostile kfkv_reconnect
# Nothing in flight is sent again after a reconnect: every operation the
# drop caught fails with -ECONNRESET, GETs and plain PUTs too.
s/^\t\tif (!slot->sent || kfkv_op_replayable(slot->op)) {$/\t\tif (!slot->sent) {/
