# area: kfblk
# file: consumers/block/kfblk_target_io.c
# tests: kfblk_fio
# The target writes an inline WRITE from the wrong page (the zero page),
# not the one its data arrived in: the device gets zeroes, acknowledged.
s/^\tbv->bv_page = slot->inl;$/\tbv->bv_page = ZERO_PAGE(0);/
