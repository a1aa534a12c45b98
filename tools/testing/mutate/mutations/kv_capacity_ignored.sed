# area: kv-limits
# file: consumers/kv/kfkv_store.c
# tests: kfkv_ops
# A mem store takes values past its capacity: a client can fill the
# target's memory.
s/^\tif (atomic64_add_return(bytes, &st->used) > st->capacity) {$/\tif (atomic64_add_return(bytes, \&st->used) > U64_MAX) {/
