# area: data path
# file: providers/tcp/srx.c
# tests: kfi_test_tcp
# An endpoint whose message found the shared receive context empty is not
# marked waiting: the receive posted later does not wake it, and the
# message stays in the socket for good.
/^void kfit_srx_pull(/,/^}/s/^\t\te->srx_waiting = true;$/\t\te->srx_waiting = false;/
