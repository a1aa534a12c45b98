# area: invalidation
# file: providers/verbs/mr.c
# tests: kfkv_hostile
# kfi_mr_map() registers to the end of the last page, not of the buffer:
# the peer can write past what was offered into the rest of that page
# (the GET's guard bytes, in client.rma_past_end).
s/^\tret = ib_map_mr_sg(mr->ibmr, mr->sgl, n, NULL, PAGE_SIZE);$/&\n\tmr->ibmr->length = PAGE_ALIGN(mr->ibmr->iova + mr->ibmr->length) - mr->ibmr->iova;/
