# area: data-path
# file: providers/verbs/post.c
# tests: kfi_test_verbs
# An RMA write with KFI_INJECT sends from the caller's buffer instead of a
# copy: bytes changed after the post reach the peer.
s/^\tret = kfiv_rma_source(ep, s, &msg->iov, write && (flags & KFI_INJECT));$/\tret = kfiv_rma_source(ep, s, \&msg->iov, false);/
