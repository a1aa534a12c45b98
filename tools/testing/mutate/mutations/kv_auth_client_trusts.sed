# area: kv-auth
# file: consumers/kv/kfkv_client.c
# tests: kfkv_dev
# A client with a secret uses a target that asked for none: anyone who
# answers on the store's address passes for it.
s/^\tif (asked == !!a->secret_len)$/\tif (asked == !!a->secret_len || !asked)/
