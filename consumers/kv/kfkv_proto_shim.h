/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel types kfkv_proto.c uses, for building it in user space (the
 * fuzzer): the same few that kfblk's parser needs, so one shim serves
 * both.  Never included by the kernel build.
 */
#ifndef _KFKV_PROTO_SHIM_H
#define _KFKV_PROTO_SHIM_H

#include "../block/kfblk_proto_shim.h"

#endif /* _KFKV_PROTO_SHIM_H */
