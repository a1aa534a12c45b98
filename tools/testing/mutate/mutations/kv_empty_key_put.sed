# area: kv-hostile
# file: consumers/kv/kfkv_proto.c
# tests: kfkv_hostile
# A PUT with an empty key is served: the store gets an object no GET,
# STAT or DELETE can name (they still refuse the empty key).
s/^\tif (ri->flags \& ~allowed || !ri->key_len || ri->offset ||$/\tif (ri->flags \& ~allowed || ri->offset ||/
