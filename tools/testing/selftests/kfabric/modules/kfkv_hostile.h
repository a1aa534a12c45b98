/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kfkv wire format as Documentation/kfabric/kfkv-protocol.rst gives
 * it, written from that document alone: the hostile peer shares no code
 * with kfkv, so it cannot share its mistakes either.
 */
#ifndef _KFKV_HOSTILE_H
#define _KFKV_HOSTILE_H

#include <linux/types.h>
#include <linux/build_bug.h>
#include <kfabric/kfi.h>

#define KW_MAGIC_CM_REQ	0x514b564bU
#define KW_MAGIC_CM_REP	0x504b564bU
#define KW_MAGIC_REQ	0x434b564bU
#define KW_MAGIC_RSP	0x524b564bU
#define KW_VERSION	2
#define KW_KEY_MAX	250
#define KW_MSG		4096
#define KW_LIST_MAX	1024

enum { KW_PUT = 1, KW_GET, KW_DELETE, KW_STAT, KW_LIST, KW_AUTH };

#define KW_IF_ABSENT	0x1
#define KW_IF_VERSION	0x2
#define KW_DURABLE	0x4
#define KW_RANGE	0x8

enum { KW_OK, KW_IOERR, KW_INVAL, KW_NOENT, KW_EXIST, KW_CONFLICT,
	KW_NOSPC, KW_TOOBIG, KW_OVERFLOW, KW_RANGE_ST, KW_XFER, KW_NOMEM,
	KW_NOSTORE, KW_VERSION_ST, KW_BUSY, KW_AUTH_ST };

struct kw_cm_req {
	__le32 magic;
	__le16 version;
	__le16 depth;
	__le32 flags;
	__le32 reserved;
	char store[32];
};

struct kw_cm_rep {
	__le32 magic;
	__le16 version;
	__le16 status;
	__le16 depth;
	__le16 max_segs;
	__le32 inline_max;
	__le64 max_value;
	__le32 flags;
	__le32 reserved;
	u8 nonce[16];
};

struct kw_seg {
	__le64 addr;
	__le64 key;
	__le64 len;
};

struct kw_req {
	__le32 magic;
	u8 version;
	u8 opcode;
	__le16 flags;
	__le32 tag;
	__le16 key_len;
	u8 nr_segs;
	u8 reserved;
	__le32 inline_len;
	__le32 reserved2;
	__le64 value_len;
	__le64 offset;
	__le64 expect;
};

struct kw_rsp {
	__le32 magic;
	u8 version;
	u8 opcode;
	__le16 status;
	__le32 tag;
	__le32 inline_len;
	__le64 size;
	__le64 obj_version;
	__le64 xfer;
};

static_assert(sizeof(struct kw_cm_req) == 48);
static_assert(sizeof(struct kw_cm_rep) == 48);
static_assert(sizeof(struct kw_seg) == 24);
static_assert(sizeof(struct kw_req) == 48);
static_assert(sizeof(struct kw_rsp) == 40);

/* Module parameters. */
extern char *h_ipaddr;
extern int h_port;
extern char *h_store;

struct kfi_info *h_getinfo(int port, u64 flags);

/* kfkv_hostile_client.c: a hostile client of a kfkv store. */
int h_client_run(const char *name);

/* kfkv_hostile_target.c: a hostile target for the kfkv client. */
int h_target_start(const char *name);
void h_target_stop(void);

#endif /* _KFKV_HOSTILE_H */
