// SPDX-License-Identifier: GPL-2.0
/* The wire protocol, built once more for kfkv_target.ko. */
#include "kfkv_proto.c"
