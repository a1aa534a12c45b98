# area: kv-reconnect
# file: consumers/kv/kfkv_client.c
# tests: kfkv_reconnect
# The fail-fast time passes and the operations waiting for a connection
# keep waiting (until the give-up time).
/^\tcase KFI_SESS_EV_FAST_FAIL:$/,/kfkv_fail_parked(h);/s/^\t\tkfkv_fail_parked(h);$/\t\tif (test_bit(KFKV_H_FAILED, \&h->flags))\n\t\t\tkfkv_fail_parked(h);/
