# area: kv-protection
# file: consumers/kv/kfkv_dev_cfs.c
# tests: kfkv_dev
# kfkv's configfs takes new devices, modes and owners from a writer
# without CAP_SYS_ADMIN.
s/^\tif (!capable(CAP_SYS_ADMIN))$/\tif (0)/
