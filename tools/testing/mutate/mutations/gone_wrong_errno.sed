# area: faults
# file: consumers/block/kfblk_client.c
# tests: kfblk_faults
# A target that went away fails the client's I/O with "no space" instead
# of an I/O error: the I/O still fails, but with the wrong reason.
s/^\treq->status = BLK_STS_IOERR;$/\treq->status = BLK_STS_NOSPC;/
/^\t\tclear_bit(KFBLK_REQ_MAPPED, &req->flags);$/{
n
s/^\t\treturn BLK_STS_IOERR;$/\t\treturn BLK_STS_NOSPC;/
}
