/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel types and byte-order helpers the wire-protocol parsers
 * (kfblk_proto.c, kfkv_proto.c, kfit_proto.c) use, for building them in
 * user space (the fuzzers here).  Never included by the kernel build.
 * Build as C2x (gnu2x), whose static_assert takes one argument as the
 * kernel's does.
 */
#ifndef _KFI_PROTO_SHIM_H
#define _KFI_PROTO_SHIM_H

#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>	/* the UAPI one: __u8 ... __le64 */

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#define le16_to_cpu(x)	le16toh(x)
#define le32_to_cpu(x)	le32toh(x)
#define le64_to_cpu(x)	le64toh(x)
#define cpu_to_le16(x)	htole16(x)
#define cpu_to_le32(x)	htole32(x)
#define cpu_to_le64(x)	htole64(x)

#define U64_MAX		(~(u64)0)

#endif /* _KFI_PROTO_SHIM_H */
