/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kfblk wire format as Documentation/kfabric/kfblk-protocol.rst gives
 * it, written from that document alone: the hostile peer does not share a
 * line of code with kfblk, so it cannot share its mistakes either.
 */
#ifndef _KFBLK_HOSTILE_H
#define _KFBLK_HOSTILE_H

#include <linux/types.h>
#include <linux/build_bug.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <kfabric/kfi.h>

#define HW_MAGIC_REQ	0x514b464bU
#define HW_MAGIC_REP	0x504b464bU
#define HW_MAGIC_CMD	0x434b464bU
#define HW_MAGIC_RSP	0x524b464bU

enum { HW_READ = 1, HW_WRITE, HW_FLUSH, HW_DISCARD, HW_WZEROES };
#define HW_CMD_INLINE	0x0004	/* command flag: WRITE data follows */
#define HW_CM_INLINE	0x0004	/* connect flag: inline data offered */
#define HW_CAP_INLINE	0x0080	/* reply cap: inline data agreed */
enum { HW_OK, HW_IOERR, HW_INVAL, HW_RANGE, HW_NOTSUPP, HW_RO, HW_XFER,
	HW_NOSPC, HW_NOEXPORT, HW_VERSION, HW_BUSY };

struct hw_req {
	__le32 magic;
	__le16 version;
	__le16 qid;
	__le16 nr_queues;
	__le16 queue_depth;
	__le32 flags;
	char name[16];
};

struct hw_rep {
	__le32 magic;
	__le16 version;
	__le16 status;
	__le16 queue_depth;
	__le16 caps;
	__le32 lbs;
	__le32 pbs;
	__le32 max_io;
	__le64 capacity;
	__le32 max_discard;
	__le32 max_wzeroes;
	__le32 inline_max;
	__le32 reserved;
};

struct hw_cmd {
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

struct hw_rsp {
	__le32 magic;
	u8 version;
	u8 opcode;
	__le16 status;
	__le32 tag;
	__le32 reserved;
};

static_assert(sizeof(struct hw_req) == 32);
static_assert(sizeof(struct hw_rep) == 48);
static_assert(sizeof(struct hw_cmd) == 48);
static_assert(sizeof(struct hw_rsp) == 16);

/* Module parameters, shared by both roles. */
extern char *h_ipaddr;
extern int h_port;
extern char *h_export;
extern char *h_case;

struct kfi_info *h_getinfo(int port, u64 flags);
int h_wait_event(struct kfid_eq *eq, struct kfi_eq_cm_entry *e, int ms);

/* kfblk_hostile_client.c: a hostile client of a kfblk target. */
int h_client_run(const char *name);
void h_client_teardown(void);

/* kfblk_hostile_target.c: a hostile target for the kfblk client. */
int h_target_start(const char *name);
void h_target_stop(void);

#endif /* _KFBLK_HOSTILE_H */
