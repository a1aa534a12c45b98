# area: data integrity
# file: providers/verbs/post.c
# tests: kfi_test_verbs
# A send short enough for the slot's buffer is copied one byte short, and
# the peer receives a message one byte shorter than was sent.
# send_recv_all_forms checks every length and byte it receives.
/^static int kfiv_send_payload(/,/^}/s/^\t\treturn kfiv_copy_in(s, iov, &it, len);$/\t\treturn kfiv_copy_in(s, iov, \&it, len ? len - 1 : 0);/
