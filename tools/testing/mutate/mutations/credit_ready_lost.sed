# area: credit
# file: kfabric/credit.c
# tests: kfi_test_core
# Credits that arrive after a refused send do not call credit_ready, so
# a starved sender is never woken.
s/^\tif (atomic_xchg(&ep->credit_starved, 0) && ep->credit_ready)$/\tif (atomic_read(\&ep->credit_starved) \&\& 0 \&\& ep->credit_ready)/
