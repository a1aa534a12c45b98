// SPDX-License-Identifier: GPL-2.0
/* The kfkv wire protocol, built once more for kfkv_test.ko. */
#include "kfkv_proto.c"
