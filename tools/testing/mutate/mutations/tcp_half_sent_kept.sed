# area: teardown
# file: providers/tcp/io.c
# tests: kfi_test_tcp_hostile
# Closing an MR under a read response whose bytes are half out turns the
# rest into nothing instead of dropping the connection: the peer, which
# stops reading, keeps it and the stream is corrupt.
s/^\t\tif (r->tx.started) {$/\t\tif (r->tx.started \&\& !r->tx.started) {/
