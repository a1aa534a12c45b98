# area: remote-access
# file: kfabric/sw_rma.c
# tests: kfi_test_tcp
# The range check of a remote access adds offset and length, which wraps:
# an access at an address near 2^64 passes it.
s/^\treturn \*off <= mlen \&\& len <= mlen - \*off;$/\treturn *off + len <= mlen;/
