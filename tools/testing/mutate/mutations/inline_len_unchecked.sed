# area: kfblk
# file: consumers/block/kfblk_proto.c
# tests: kfblk_hostile
# The target takes an inline WRITE whatever the size of its message: a
# command that says 4 KiB and brings 512 bytes writes the rest of the
# page from whatever an earlier command left there.
s/^\treturn len == sizeof(struct kfblk_cmd) + data;$/\treturn len >= sizeof(struct kfblk_cmd);/
