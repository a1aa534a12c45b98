# area: kv-uapi
# file: consumers/kv/kfkv_dev.c
# tests: kfkv_dev
# An io_uring command's completion posts the client's result without
# writing the outputs back to the program: a GET's size, version and
# length, a PUT's new version, a STAT's answer are never seen.
s/^\tif (current->mm)$/\tif (!current->mm)/
