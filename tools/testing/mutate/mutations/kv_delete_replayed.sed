# area: kv-reconnect
# file: consumers/kv/kfkv_client.c
# tests: kfkv_hostile
# A DELETE in flight when the connection drops is sent again on the next
# one: had it run, the second run answers -ENOENT for its own success.
/A DELETE replayed would say -ENOENT/{n;s/return false;/return true;/}
