# area: credit
# file: kfabric/credit.c
# tests: kfi_test_core
# The credit_ready callback can be changed on an enabled endpoint, racing
# with the completion context that calls it.
/^int kfi_ep_set_credit_ready(/,/^}/s/ || READ_ONCE(ep->state) != KFI_EP_IDLE)$/)/
