# area: kv-protection
# file: consumers/kv/kfkv_target_main.c
# tests: kfkv_dev
# kfkv_target's configfs makes, changes and exports stores for a writer
# without CAP_SYS_ADMIN.
s/^\tif (!capable(CAP_SYS_ADMIN))$/\tif (0)/
