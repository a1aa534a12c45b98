# area: api
# file: kfabric/mr.c
# tests: kfi_test_tcp
# kfi_mr_sync() of an allocated MR that is not mapped is 0 on a provider
# without ->mr_sync, instead of -EINVAL.
s/^\tif (mr->max_segs \&\& !READ_ONCE(mr->mapped))$/\tif (!mr)/
