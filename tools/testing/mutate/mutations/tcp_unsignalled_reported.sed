# area: data-path
# file: providers/tcp/io.c
# tests: kfi_test_tcp
# Selective completion is ignored: a send posted without KFI_COMPLETION
# on a selective endpoint reports its success all the same.
s/^\tbool report = s->signal ||$/\tbool report = s->op != KFIT_SLOT_INJECT ||/
