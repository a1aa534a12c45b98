# area: kv-uapi
# file: consumers/kv/kfkv_dev.c
# tests: kfkv_dev
# A PUT's reserved field is not checked: programs that set it keep
# working, and the field can never be given a meaning.
s/^\tif (p.reserved || p.flags & ~(KFKV_FL_IF_ABSENT | KFKV_FL_IF_VERSION |$/\tif (p.flags \& ~(KFKV_FL_IF_ABSENT | KFKV_FL_IF_VERSION |/
