# area: credit
# file: kfabric/msg.c
# tests: kfi_test_core
# A send the provider refuses keeps the send credit it took.
/ret = ep->fid.prov->ops->send(ep, msg, kfi_tx_flags(ep, flags));/,/kfi_credit_return(ep);/s/kfi_credit_return(ep);/(void)ep;/
