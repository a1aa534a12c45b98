# area: counters
# file: kfabric/cq.c
# tests: kfi_test_core
# A CQ does not count the successful completions it delivers: its
# per-CPU completed counter stays at 0 (debugfs, kfi_info -o).
s/^\t\tthis_cpu_inc(cq->stats->n\[KFI_STAT_COMPLETED\]);$/\t\tthis_cpu_add(cq->stats->n[KFI_STAT_COMPLETED], 0);/
