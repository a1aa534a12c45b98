// SPDX-License-Identifier: GPL-2.0
/* The wire protocol, built once more for kfblk_target.ko. */
#include "kfblk_proto.c"
