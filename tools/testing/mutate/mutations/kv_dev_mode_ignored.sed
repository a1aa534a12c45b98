# area: kv-protection
# file: consumers/kv/kfkv_dev.c
# tests: kfkv_dev
# A store's character device lets everyone in, whatever its owner,
# group and mode: any local user reads and writes every object.
s/^\treturn capable(CAP_DAC_OVERRIDE) ? 0 : -EACCES;$/\treturn 0;/
