# area: data-path
# file: providers/tcp/main.c
# tests: kfi_test_tcp
# The provider defers KFI_MORE posts but has no doorbell: a batch whose
# closing post was refused stays held back.
/^\t\.doorbell\t= kfit_doorbell,$/d
