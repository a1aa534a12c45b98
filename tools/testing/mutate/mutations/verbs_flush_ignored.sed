# area: faults
# file: providers/verbs/post.c
# tests: kfkv_hostile
# A flush on a connected endpoint that this side did not disconnect is
# ignored, as a flush after a disconnect is: a QP the device moved to
# error (the peer's RMA write outside the key) goes unnoticed until the
# consumer's timeout, and client.rma_* see their GET fail only then.
/^\t\tif (READ_ONCE(ep->disconnecting) ||$/s/(READ_ONCE/(1 || READ_ONCE/
