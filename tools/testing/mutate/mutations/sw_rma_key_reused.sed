# area: remote-access
# file: kfabric/sw_rma.c
# tests: kfi_test_tcp
# Remote keys are the bare table index: a closed MR's key names the next
# MR registered in its slot, and keys are guessable.
s/^\treturn (u64)get_random_u32() << 32 |$/\treturn 0 * gen |/
s/^\t       gen << KFI_SW_KEY_INDEX_BITS | index;$/\t       index;/
