# area: credit
# file: kfabric/msg.c
# tests: kfi_test_core
# A kfi_writedata() the provider refuses keeps the send credit it took.
s/^\tif (ret && credit)$/\tif (ret \&\& !credit)/
