# area: credit
# file: kfabric/credit.c
# tests: kfi_test_verbs
# An endpoint opened with KFI_EP_NO_CREDITS still has its sends counted
# against the peer's receives: a consumer that paces itself gets -EAGAIN.
/^int kfi_credit_take(struct kfid_ep \*ep)$/,/^}/s/ || kfi_credits_off(ep))$/)/
