# area: data integrity
# file: consumers/block/kfblk_target_conn.c
# tests: kfblk_tcp
# The target takes every provider for one that completes in order, as the
# version da78d74 took out did: over kfi_tcp it frees a READ's pages at
# the response's completion while its RMA writes may still be reading
# them.  fio.read_answers_reported finds the writes unreported.
s/^\tconn->ordered = info->tx_attr.comp_order & KFI_ORDER_STRICT;$/\tconn->ordered = true;/
