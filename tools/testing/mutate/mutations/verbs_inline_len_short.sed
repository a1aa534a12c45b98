# area: data integrity
# file: providers/verbs/post.c
# tests: kfi_test_verbs
# A send or inject that goes inline by reference loses the last byte of
# each piece, and the peer receives a shorter message than was sent.
# send_recv_all_forms and inject_all_forms check every length and byte.
/^static bool kfiv_inline_ref(/,/^}/s/^\t\tsge\[i\]\.length = n;$/\t\tsge[i].length = n ? n - 1 : 0;/
