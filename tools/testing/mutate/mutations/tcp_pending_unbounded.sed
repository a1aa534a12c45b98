# area: resource-limits
# file: providers/tcp/cm.c
# tests: kfi_test_tcp_hostile
# The listener keeps every connection that never sends its CONNREQ: silent
# peers pile up without bound.
s/^\tif (p->npending <= KFIT_MAX_PENDING)$/\tif (p->npending)/
