# area: kv-uapi
# file: consumers/kv/kfkv_dev.c
# tests: kfkv_dev
# A pinned user buffer is described from the start of its first page,
# not from where the buffer starts: values are stored and read shifted.
s/^\t\tbvec_set_page(&b->bv\[i\], b->pages\[i\], n, off);$/\t\tbvec_set_page(\&b->bv[i], b->pages[i], n, 0);/
