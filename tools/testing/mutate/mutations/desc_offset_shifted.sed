# area: data integrity
# file: providers/verbs/mr.c
# tests: kfi_test_verbs
# A buffer posted with its region's descriptor goes one byte past its
# place in the region: the peer receives the wrong bytes.
# desc_registered finds the message changed.
s/^\t\t\t\*dma = sg_dma_address(sg) + (off - seg);$/\t\t\t*dma = sg_dma_address(sg) + (off - seg) + 1;/
