/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfblk wire protocol: message layouts, constants and validators.
 *
 * Shared by kfblk.ko (client), kfblk_target.ko and the user-space fuzzer
 * (tools/testing/fuzz/), so it depends on nothing kernel-only: outside the
 * kernel, that directory's kfi_proto_shim.h supplies the few types and
 * byte-order helpers.
 * Every multi-byte field is little endian; every structure has a fixed
 * size checked at build time.  Documentation/kfabric/kfblk-protocol.rst is
 * the prose version of this file.
 */
#ifndef _KFBLK_PROTO_H
#define _KFBLK_PROTO_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <asm/byteorder.h>
#else
#include "kfi_proto_shim.h"
#endif

#define KFBLK_PROTO_VERSION	1

#define KFBLK_MAGIC_CMD		0x434b464bU	/* "KFKC" on the wire */
#define KFBLK_MAGIC_RSP		0x524b464bU	/* "KFKR" */
#define KFBLK_MAGIC_CM_REQ	0x514b464bU	/* "KFKQ" */
#define KFBLK_MAGIC_CM_REP	0x504b464bU	/* "KFKP" */

/* Limits every implementation of version 1 honours. */
#define KFBLK_MAX_QUEUES	256
#define KFBLK_MAX_QUEUE_DEPTH	1024
#define KFBLK_MAX_IO		(4U << 20)	/* bytes in one READ/WRITE */
#define KFBLK_MIN_BLOCK_SIZE	512
#define KFBLK_MAX_BLOCK_SIZE	4096
#define KFBLK_EXPORT_NAME_LEN	16		/* with the terminating NUL */
#define KFBLK_SECTOR_SHIFT	9
#define KFBLK_MAX_INLINE	(64U << 10)	/* WRITE data in a command */

/* The low 16 bits of a tag index the client's queue; the rest is free. */
#define KFBLK_TAG_INDEX(tag)	((tag) & 0xffffU)

enum kfblk_opcode {
	KFBLK_OP_READ = 1,		/* target RMA-writes the client's MR */
	KFBLK_OP_WRITE = 2,		/* target RMA-reads the client's MR */
	KFBLK_OP_FLUSH = 3,
	KFBLK_OP_DISCARD = 4,
	KFBLK_OP_WRITE_ZEROES = 5,
	KFBLK_OP_KEEPALIVE = 6,		/* answered at once, no device I/O */
};

/* kfblk_cmd.flags */
#define KFBLK_CMD_FUA		0x0001U	/* WRITE: durable before the response */
#define KFBLK_CMD_NOUNMAP	0x0002U	/* WRITE_ZEROES: keep the blocks allocated */
#define KFBLK_CMD_INLINE	0x0004U	/* WRITE: the data follows the command */

/*
 * Response and connection status.  Values are part of the protocol, so the
 * two sides need not share an errno table.
 */
enum kfblk_status {
	KFBLK_ST_OK = 0,
	KFBLK_ST_IOERR = 1,		/* the backing device failed the I/O */
	KFBLK_ST_INVAL = 2,		/* malformed command or handshake */
	KFBLK_ST_RANGE = 3,		/* beyond the capacity */
	KFBLK_ST_NOTSUPP = 4,		/* opcode the export does not do */
	KFBLK_ST_RO = 5,		/* write to a read-only export */
	KFBLK_ST_XFER = 6,		/* an RMA transfer failed */
	KFBLK_ST_NOSPC = 7,		/* the backing device is full */
	KFBLK_ST_NOEXPORT = 8,		/* handshake: no such export */
	KFBLK_ST_VERSION = 9,		/* handshake: version not spoken */
	KFBLK_ST_BUSY = 10,		/* handshake: no room for a connection */
	KFBLK_ST_MAX = KFBLK_ST_BUSY,
};

/* kfblk_cm_req.flags: what the client offers */
#define KFBLK_CM_REMOTE_INV	0x0001U	/* responses may invalidate the rkey */
#define KFBLK_CM_IMM_RSP	0x0002U	/* a READ may be answered by immediate data */
#define KFBLK_CM_INLINE		0x0004U	/* WRITE data may follow its command */
#define KFBLK_CM_ALL		0x0007U

/* kfblk_cm_rep.caps: what the export can do */
#define KFBLK_CAP_WRITE_CACHE	0x0001U	/* volatile cache: FLUSH means something */
#define KFBLK_CAP_FUA		0x0002U
#define KFBLK_CAP_DISCARD	0x0004U
#define KFBLK_CAP_WRITE_ZEROES	0x0008U
#define KFBLK_CAP_READ_ONLY	0x0010U
#define KFBLK_CAP_REMOTE_INV	0x0020U	/* responses invalidate the rkey */
#define KFBLK_CAP_IMM_RSP	0x0040U	/* successful READs answered by immediate */
#define KFBLK_CAP_INLINE	0x0080U	/* WRITEs of up to inline_max bytes inline */
#define KFBLK_CAP_ALL		0x00ffU
/* Agreed per connection: the queues of one device may differ in these. */
#define KFBLK_CAP_CONN		(KFBLK_CAP_REMOTE_INV | KFBLK_CAP_IMM_RSP | \
				 KFBLK_CAP_INLINE)

/**
 * struct kfblk_cmd - one command, client to target, in a send
 * @magic: KFBLK_MAGIC_CMD
 * @version: KFBLK_PROTO_VERSION
 * @opcode: enum kfblk_opcode
 * @flags: KFBLK_CMD_*
 * @tag: echoed in the response; KFBLK_TAG_INDEX() below the queue depth
 * @len: bytes (READ, WRITE, DISCARD, WRITE_ZEROES); 0 for FLUSH
 * @sector: first 512-byte sector; 0 for FLUSH
 * @raddr: READ/WRITE: address of the client's buffer in its MR; else 0
 *	(and 0 for an inline WRITE)
 * @rkey: READ/WRITE: remote key of that MR; else 0
 * @reserved: 0
 *
 * A WRITE with KFBLK_CMD_INLINE carries its @len bytes of data right after
 * the command, in the same message.
 */
struct kfblk_cmd {
	__le32 magic;
	u8 version;
	u8 opcode;
	__le16 flags;
	__le32 tag;
	__le32 len;
	__le64 sector;
	__le64 raddr;
	__le64 rkey;
	__le64 reserved;
};

/**
 * struct kfblk_rsp - the answer to one command, target to client
 * @magic: KFBLK_MAGIC_RSP
 * @version: KFBLK_PROTO_VERSION
 * @opcode: the command's opcode
 * @status: enum kfblk_status
 * @tag: the command's tag
 * @reserved: 0
 */
struct kfblk_rsp {
	__le32 magic;
	u8 version;
	u8 opcode;
	__le16 status;
	__le32 tag;
	__le32 reserved;
};

/**
 * struct kfblk_cm_req - private data of a connect, one per queue
 * @magic: KFBLK_MAGIC_CM_REQ
 * @version: KFBLK_PROTO_VERSION
 * @qid: this queue, below @nr_queues
 * @nr_queues: queues of the session
 * @queue_depth: commands the client may have outstanding on this queue
 * @flags: KFBLK_CM_*
 * @export_name: the export wanted, NUL-terminated
 */
struct kfblk_cm_req {
	__le32 magic;
	__le16 version;
	__le16 qid;
	__le16 nr_queues;
	__le16 queue_depth;
	__le32 flags;
	char export_name[KFBLK_EXPORT_NAME_LEN];
};

/**
 * struct kfblk_cm_rep - private data of an accept or a reject
 * @magic: KFBLK_MAGIC_CM_REP
 * @version: KFBLK_PROTO_VERSION
 * @status: KFBLK_ST_OK in an accept; why, in a reject
 * @queue_depth: granted, at most what was asked
 * @caps: KFBLK_CAP_*
 * @logical_block_size: bytes, power of two
 * @physical_block_size: bytes, power of two, at least the logical size
 * @max_io: bytes in one READ/WRITE, a multiple of the logical block size
 * @capacity: 512-byte sectors
 * @max_discard_sectors: per DISCARD (0 without KFBLK_CAP_DISCARD)
 * @max_write_zeroes_sectors: per WRITE_ZEROES
 * @inline_max: bytes of WRITE data a command may carry (0 without
 *	KFBLK_CAP_INLINE)
 * @reserved: 0
 */
struct kfblk_cm_rep {
	__le32 magic;
	__le16 version;
	__le16 status;
	__le16 queue_depth;
	__le16 caps;
	__le32 logical_block_size;
	__le32 physical_block_size;
	__le32 max_io;
	__le64 capacity;
	__le32 max_discard_sectors;
	__le32 max_write_zeroes_sectors;
	__le32 inline_max;
	__le32 reserved;
};

static_assert(sizeof(struct kfblk_cmd) == 48);
static_assert(sizeof(struct kfblk_rsp) == 16);
static_assert(sizeof(struct kfblk_cm_req) == 32);
static_assert(sizeof(struct kfblk_cm_rep) == 48);

/**
 * struct kfblk_limits - what the target checks a command against
 * @capacity: 512-byte sectors
 * @lbs: logical block size in bytes
 * @max_io: bytes in one READ/WRITE
 * @max_discard_sectors: per DISCARD
 * @max_write_zeroes_sectors: per WRITE_ZEROES
 * @queue_depth: tags index below this
 * @caps: KFBLK_CAP_*
 * @inline_max: bytes of WRITE data a command may carry; 0: none
 */
struct kfblk_limits {
	u64 capacity;
	u32 lbs;
	u32 max_io;
	u32 max_discard_sectors;
	u32 max_write_zeroes_sectors;
	u32 queue_depth;
	u32 caps;
	u32 inline_max;
};

/* A command in host byte order; see struct kfblk_cmd for the fields. */
struct kfblk_cmd_info {
	u8 opcode;
	u16 flags;
	u32 tag;
	u32 len;
	u64 sector;
	u64 raddr;
	u64 rkey;
};

/* A response in host byte order. */
struct kfblk_rsp_info {
	u8 opcode;
	u16 status;
	u32 tag;
};

/* A connect request in host byte order; @export_name is NUL-terminated. */
struct kfblk_cm_req_info {
	u16 qid;
	u16 nr_queues;
	u16 queue_depth;
	u32 flags;
	char export_name[KFBLK_EXPORT_NAME_LEN];
};

/* An accept or a reject in host byte order. */
struct kfblk_cm_rep_info {
	u16 status;
	u16 queue_depth;
	u16 caps;
	u32 logical_block_size;
	u32 physical_block_size;
	u32 max_io;
	u64 capacity;
	u32 max_discard_sectors;
	u32 max_write_zeroes_sectors;
	u32 inline_max;
};

int kfblk_cmd_parse(const void *buf, size_t len,
		    const struct kfblk_limits *lim, struct kfblk_cmd_info *ci);
void kfblk_cmd_build(struct kfblk_cmd *cmd, const struct kfblk_cmd_info *ci);
int kfblk_rsp_parse(const void *buf, size_t len, u32 queue_depth,
		    struct kfblk_rsp_info *ri);
bool kfblk_rsp_match(const struct kfblk_rsp_info *ri,
		     const struct kfblk_cmd *sent);
void kfblk_rsp_build(struct kfblk_rsp *rsp, const struct kfblk_rsp_info *ri);
int kfblk_cm_req_parse(const void *buf, size_t len,
		       struct kfblk_cm_req_info *qi);
int kfblk_cm_req_build(struct kfblk_cm_req *req,
		       const struct kfblk_cm_req_info *qi);
int kfblk_cm_rep_parse(const void *buf, size_t len,
		       struct kfblk_cm_rep_info *pi);
void kfblk_cm_rep_build(struct kfblk_cm_rep *rep,
			const struct kfblk_cm_rep_info *pi);
int kfblk_export_name_valid(const char *name, size_t len);
const char *kfblk_status_str(unsigned int status);

#endif /* _KFBLK_PROTO_H */
