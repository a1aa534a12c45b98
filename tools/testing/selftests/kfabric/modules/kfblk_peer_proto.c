// SPDX-License-Identifier: GPL-2.0
/* kfblk's wire protocol, built once more for kfblk_peer.ko. */
#include "../../../../../consumers/block/kfblk_proto.c"
