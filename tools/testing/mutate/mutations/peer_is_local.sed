# area: api
# file: providers/verbs/cm.c
# tests: kfi_test_verbs
# kfi_getpeer() answers with the endpoint's own address.
/^int kfiv_getpeer(/,/^}/s/kfiv_ep_addr(to_ep(kep), true,/kfiv_ep_addr(to_ep(kep), false,/
