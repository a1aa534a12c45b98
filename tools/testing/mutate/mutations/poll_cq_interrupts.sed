# area: performance
# file: consumers/block/kfblk_client_path.c
# tests: kfblk_poll
# A poll queue's CQ is opened like the others, run by softirq: polled I/O
# still completes, but not one request is found by blk-mq's polling.
# poll.iouring_polled_verify finds the "polled" counter still.
s/^\t\t\t\t\t\t       KFI_POLL_DIRECT,$/\t\t\t\t\t\t       KFI_POLL_SOFTIRQ,/
