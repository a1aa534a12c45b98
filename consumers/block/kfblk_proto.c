// SPDX-License-Identifier: GPL-2.0
/*
 * kfblk wire protocol: encoders and validators.
 *
 * Everything that arrives from the peer goes through a parser here before
 * either module looks at it: the parsers copy the message out of the
 * receive buffer (so a peer cannot change it under us, and alignment does
 * not matter), check every field, and hand back host-order values that are
 * safe to use as they are.  No kernel-only dependencies: the fuzzer builds
 * this file in user space.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#endif
#include "kfblk_proto.h"

static bool kfblk_pow2(u64 v)
{
	return v && !(v & (v - 1));
}

/* [@sector, @sector + @bytes) lies inside @lim, on logical block bounds. */
static int kfblk_range_ok(const struct kfblk_limits *lim, u64 sector,
			  u32 bytes)
{
	u64 lbs_sectors = lim->lbs >> KFBLK_SECTOR_SHIFT;
	u64 nr = bytes >> KFBLK_SECTOR_SHIFT;

	if (!bytes || bytes & (lim->lbs - 1) || sector & (lbs_sectors - 1))
		return KFBLK_ST_INVAL;
	/* Written so that nothing can wrap around. */
	if (sector >= lim->capacity || nr > lim->capacity - sector)
		return KFBLK_ST_RANGE;
	return KFBLK_ST_OK;
}

static int kfblk_rw_ok(const struct kfblk_limits *lim,
		       const struct kfblk_cmd_info *ci)
{
	u16 allowed = 0;

	if (ci->opcode == KFBLK_OP_WRITE)
		allowed = KFBLK_CMD_FUA | (lim->inline_max ? KFBLK_CMD_INLINE : 0);
	if (ci->flags & ~allowed)
		return KFBLK_ST_INVAL;
	if (ci->len > lim->max_io)
		return KFBLK_ST_INVAL;
	/* Inline data comes with the command: no buffer of the client's. */
	if (ci->flags & KFBLK_CMD_INLINE &&
	    (ci->len > lim->inline_max || ci->raddr || ci->rkey))
		return KFBLK_ST_INVAL;
	/* The remote buffer must not wrap the address space either. */
	if (ci->len && ci->raddr > U64_MAX - (ci->len - 1))
		return KFBLK_ST_INVAL;
	if (ci->opcode == KFBLK_OP_WRITE && lim->caps & KFBLK_CAP_READ_ONLY)
		return KFBLK_ST_RO;
	return kfblk_range_ok(lim, ci->sector, ci->len);
}

static int kfblk_trim_ok(const struct kfblk_limits *lim,
			 const struct kfblk_cmd_info *ci)
{
	bool zeroes = ci->opcode == KFBLK_OP_WRITE_ZEROES;
	u32 cap = zeroes ? KFBLK_CAP_WRITE_ZEROES : KFBLK_CAP_DISCARD;
	u32 max = zeroes ? lim->max_write_zeroes_sectors :
			   lim->max_discard_sectors;
	u16 allowed = zeroes ? KFBLK_CMD_NOUNMAP : 0;

	if (ci->flags & ~allowed || ci->raddr || ci->rkey)
		return KFBLK_ST_INVAL;
	if (!(lim->caps & cap))
		return KFBLK_ST_NOTSUPP;
	if (lim->caps & KFBLK_CAP_READ_ONLY)
		return KFBLK_ST_RO;
	if ((ci->len >> KFBLK_SECTOR_SHIFT) > max)
		return KFBLK_ST_INVAL;
	return kfblk_range_ok(lim, ci->sector, ci->len);
}

/*
 * The message is exactly the command, and the data that follows it when
 * the command says so and the connection agreed to inline data.
 */
static bool kfblk_cmd_size_ok(size_t len, const struct kfblk_limits *lim,
			      const struct kfblk_cmd_info *ci)
{
	u64 data = 0;

	if (ci->flags & KFBLK_CMD_INLINE && lim->inline_max)
		data = ci->len;
	return len == sizeof(struct kfblk_cmd) + data;
}

/**
 * kfblk_cmd_parse() - validate a received command
 * @buf: the received bytes; only the command itself, the first
 *	sizeof(struct kfblk_cmd) of them, is read
 * @len: how many arrived, inline data included
 * @lim: the export and connection the command is checked against
 * @ci: the command in host order; @ci->tag is valid whenever the return
 *	value is not negative
 *
 * A command with KFBLK_CMD_INLINE on a connection with inline data
 * (@lim->inline_max) must arrive with exactly its @ci->len bytes of data
 * after it; every other command alone.
 *
 * Return: KFBLK_ST_OK; a positive enum kfblk_status to answer the command
 * with; or -EPROTO when the message cannot even be answered (wrong size,
 * magic, version or tag), which should end the connection.
 */
int kfblk_cmd_parse(const void *buf, size_t len,
		    const struct kfblk_limits *lim, struct kfblk_cmd_info *ci)
{
	struct kfblk_cmd cmd;

	memset(ci, 0, sizeof(*ci));
	if (len < sizeof(cmd))
		return -EPROTO;
	memcpy(&cmd, buf, sizeof(cmd));
	if (le32_to_cpu(cmd.magic) != KFBLK_MAGIC_CMD ||
	    cmd.version != KFBLK_PROTO_VERSION)
		return -EPROTO;
	ci->tag = le32_to_cpu(cmd.tag);
	if (KFBLK_TAG_INDEX(ci->tag) >= lim->queue_depth)
		return -EPROTO;

	ci->opcode = cmd.opcode;
	ci->flags = le16_to_cpu(cmd.flags);
	ci->len = le32_to_cpu(cmd.len);
	if (!kfblk_cmd_size_ok(len, lim, ci))
		return -EPROTO;
	ci->sector = le64_to_cpu(cmd.sector);
	ci->raddr = le64_to_cpu(cmd.raddr);
	ci->rkey = le64_to_cpu(cmd.rkey);
	if (cmd.reserved)
		return KFBLK_ST_INVAL;

	switch (ci->opcode) {
	case KFBLK_OP_READ:
	case KFBLK_OP_WRITE:
		return kfblk_rw_ok(lim, ci);
	case KFBLK_OP_FLUSH:
	case KFBLK_OP_KEEPALIVE:
		if (ci->flags || ci->len || ci->sector || ci->raddr || ci->rkey)
			return KFBLK_ST_INVAL;
		return KFBLK_ST_OK;
	case KFBLK_OP_DISCARD:
	case KFBLK_OP_WRITE_ZEROES:
		return kfblk_trim_ok(lim, ci);
	default:
		return KFBLK_ST_NOTSUPP;
	}
}

/**
 * kfblk_cmd_build() - encode a command
 * @cmd: the wire form, written completely
 * @ci: the command
 */
void kfblk_cmd_build(struct kfblk_cmd *cmd, const struct kfblk_cmd_info *ci)
{
	cmd->magic = cpu_to_le32(KFBLK_MAGIC_CMD);
	cmd->version = KFBLK_PROTO_VERSION;
	cmd->opcode = ci->opcode;
	cmd->flags = cpu_to_le16(ci->flags);
	cmd->tag = cpu_to_le32(ci->tag);
	cmd->len = cpu_to_le32(ci->len);
	cmd->sector = cpu_to_le64(ci->sector);
	cmd->raddr = cpu_to_le64(ci->raddr);
	cmd->rkey = cpu_to_le64(ci->rkey);
	cmd->reserved = 0;
}

/**
 * kfblk_rsp_parse() - validate a received response
 * @buf: the received bytes
 * @len: how many arrived
 * @queue_depth: the queue's depth; the tag must index below it
 * @ri: the response in host order
 *
 * The caller still checks that the tag names a command in flight.
 *
 * Return: 0, or -EPROTO for a response that must not be trusted.
 */
int kfblk_rsp_parse(const void *buf, size_t len, u32 queue_depth,
		    struct kfblk_rsp_info *ri)
{
	struct kfblk_rsp rsp;

	memset(ri, 0, sizeof(*ri));
	if (len != sizeof(rsp))
		return -EPROTO;
	memcpy(&rsp, buf, sizeof(rsp));
	if (le32_to_cpu(rsp.magic) != KFBLK_MAGIC_RSP ||
	    rsp.version != KFBLK_PROTO_VERSION || rsp.reserved)
		return -EPROTO;
	ri->opcode = rsp.opcode;
	ri->status = le16_to_cpu(rsp.status);
	ri->tag = le32_to_cpu(rsp.tag);
	if (KFBLK_TAG_INDEX(ri->tag) >= queue_depth ||
	    ri->status > KFBLK_ST_MAX)
		return -EPROTO;
	if (ri->opcode < KFBLK_OP_READ || ri->opcode > KFBLK_OP_KEEPALIVE)
		return -EPROTO;
	return 0;
}

/**
 * kfblk_rsp_match() - does a response answer a command in flight?
 * @ri: a response that passed kfblk_rsp_parse()
 * @sent: the command in flight at KFBLK_TAG_INDEX(@ri->tag), as sent
 *
 * The full 32-bit tag must match, so an answer to an earlier use of the
 * same index (a late or duplicated one) is refused, and so must the
 * opcode.  The caller also checks, atomically, that the command has not
 * been answered yet.
 *
 * Return: true if @ri answers @sent.
 */
bool kfblk_rsp_match(const struct kfblk_rsp_info *ri,
		     const struct kfblk_cmd *sent)
{
	return le32_to_cpu(sent->tag) == ri->tag &&
	       sent->opcode == ri->opcode;
}

/**
 * kfblk_rsp_build() - encode a response
 * @rsp: the wire form, written completely
 * @ri: the response
 */
void kfblk_rsp_build(struct kfblk_rsp *rsp, const struct kfblk_rsp_info *ri)
{
	rsp->magic = cpu_to_le32(KFBLK_MAGIC_RSP);
	rsp->version = KFBLK_PROTO_VERSION;
	rsp->opcode = ri->opcode;
	rsp->status = cpu_to_le16(ri->status);
	rsp->tag = cpu_to_le32(ri->tag);
	rsp->reserved = 0;
}

/**
 * kfblk_export_name_valid() - check an export name
 * @name: the name
 * @len: bytes available at @name
 *
 * A name is 1 to KFBLK_EXPORT_NAME_LEN - 1 characters of [A-Za-z0-9._-],
 * NUL-terminated within @len bytes.
 *
 * Return: the name's length, or -EINVAL.
 */
int kfblk_export_name_valid(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < KFBLK_EXPORT_NAME_LEN; i++) {
		char c = name[i];

		if (!c)
			return i ? (int)i : -EINVAL;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return -EINVAL;
	}
	return -EINVAL;
}

/**
 * kfblk_cm_req_parse() - validate the private data of a connect
 * @buf: the private data
 * @len: its length; transports may pad it, so more than the structure is
 *	fine and the excess is ignored
 * @qi: the request in host order
 *
 * Return: KFBLK_ST_OK, or the enum kfblk_status to reject with.
 */
int kfblk_cm_req_parse(const void *buf, size_t len,
		       struct kfblk_cm_req_info *qi)
{
	struct kfblk_cm_req req;
	int n;

	memset(qi, 0, sizeof(*qi));
	if (len < sizeof(req))
		return KFBLK_ST_INVAL;
	memcpy(&req, buf, sizeof(req));
	if (le32_to_cpu(req.magic) != KFBLK_MAGIC_CM_REQ)
		return KFBLK_ST_INVAL;
	if (le16_to_cpu(req.version) != KFBLK_PROTO_VERSION)
		return KFBLK_ST_VERSION;
	qi->qid = le16_to_cpu(req.qid);
	qi->nr_queues = le16_to_cpu(req.nr_queues);
	qi->queue_depth = le16_to_cpu(req.queue_depth);
	qi->flags = le32_to_cpu(req.flags);
	if (!qi->nr_queues || qi->nr_queues > KFBLK_MAX_QUEUES ||
	    qi->qid >= qi->nr_queues || !qi->queue_depth ||
	    qi->queue_depth > KFBLK_MAX_QUEUE_DEPTH ||
	    qi->flags & ~KFBLK_CM_ALL)
		return KFBLK_ST_INVAL;
	n = kfblk_export_name_valid(req.export_name, sizeof(req.export_name));
	if (n < 0)
		return KFBLK_ST_INVAL;
	/* Only the name: bytes after its NUL are padding, ignored. */
	memcpy(qi->export_name, req.export_name, n);
	return KFBLK_ST_OK;
}

/**
 * kfblk_cm_req_build() - encode the private data of a connect
 * @req: the wire form, written completely
 * @qi: the request
 *
 * Return: 0, or -EINVAL if @qi->export_name is not a valid name.
 */
int kfblk_cm_req_build(struct kfblk_cm_req *req,
		       const struct kfblk_cm_req_info *qi)
{
	int n = kfblk_export_name_valid(qi->export_name,
					sizeof(qi->export_name));

	if (n < 0)
		return n;
	memset(req, 0, sizeof(*req));
	req->magic = cpu_to_le32(KFBLK_MAGIC_CM_REQ);
	req->version = cpu_to_le16(KFBLK_PROTO_VERSION);
	req->qid = cpu_to_le16(qi->qid);
	req->nr_queues = cpu_to_le16(qi->nr_queues);
	req->queue_depth = cpu_to_le16(qi->queue_depth);
	req->flags = cpu_to_le32(qi->flags);
	memcpy(req->export_name, qi->export_name, n);
	return 0;
}

static bool kfblk_geometry_ok(const struct kfblk_cm_rep_info *pi)
{
	u32 lbs = pi->logical_block_size;

	if (!kfblk_pow2(lbs) || lbs < KFBLK_MIN_BLOCK_SIZE ||
	    lbs > KFBLK_MAX_BLOCK_SIZE)
		return false;
	if (!kfblk_pow2(pi->physical_block_size) ||
	    pi->physical_block_size < lbs)
		return false;
	if (pi->max_io < lbs || pi->max_io > KFBLK_MAX_IO ||
	    pi->max_io & (lbs - 1))
		return false;
	/* Whole logical blocks, and a byte count that fits in 64 bits. */
	if (pi->capacity & ((lbs >> KFBLK_SECTOR_SHIFT) - 1) ||
	    pi->capacity > U64_MAX >> KFBLK_SECTOR_SHIFT)
		return false;
	if (!(pi->caps & KFBLK_CAP_DISCARD) && pi->max_discard_sectors)
		return false;
	if (!(pi->caps & KFBLK_CAP_WRITE_ZEROES) &&
	    pi->max_write_zeroes_sectors)
		return false;
	/* Inline data: whole logical blocks, never more than one I/O. */
	if (!(pi->caps & KFBLK_CAP_INLINE))
		return !pi->inline_max;
	return pi->inline_max >= lbs && pi->inline_max <= pi->max_io &&
	       pi->inline_max <= KFBLK_MAX_INLINE &&
	       !(pi->inline_max & (lbs - 1));
}

/**
 * kfblk_cm_rep_parse() - validate the private data of an accept or reject
 * @buf: the private data
 * @len: its length (may be padded by the transport)
 * @pi: the reply in host order
 *
 * Return: 0 for a usable accept; -EPROTO for garbage; for a well-formed
 * reject, the positive enum kfblk_status it carries (@pi->status too).
 */
int kfblk_cm_rep_parse(const void *buf, size_t len,
		       struct kfblk_cm_rep_info *pi)
{
	struct kfblk_cm_rep rep;

	memset(pi, 0, sizeof(*pi));
	if (len < sizeof(rep))
		return -EPROTO;
	memcpy(&rep, buf, sizeof(rep));
	if (le32_to_cpu(rep.magic) != KFBLK_MAGIC_CM_REP ||
	    le16_to_cpu(rep.version) != KFBLK_PROTO_VERSION)
		return -EPROTO;
	pi->status = le16_to_cpu(rep.status);
	if (pi->status > KFBLK_ST_MAX)
		return -EPROTO;
	if (pi->status != KFBLK_ST_OK)
		return pi->status;
	pi->queue_depth = le16_to_cpu(rep.queue_depth);
	pi->caps = le16_to_cpu(rep.caps);
	pi->logical_block_size = le32_to_cpu(rep.logical_block_size);
	pi->physical_block_size = le32_to_cpu(rep.physical_block_size);
	pi->max_io = le32_to_cpu(rep.max_io);
	pi->capacity = le64_to_cpu(rep.capacity);
	pi->max_discard_sectors = le32_to_cpu(rep.max_discard_sectors);
	pi->max_write_zeroes_sectors =
		le32_to_cpu(rep.max_write_zeroes_sectors);
	pi->inline_max = le32_to_cpu(rep.inline_max);
	if (!pi->queue_depth || pi->queue_depth > KFBLK_MAX_QUEUE_DEPTH ||
	    pi->caps & ~KFBLK_CAP_ALL || rep.reserved ||
	    !kfblk_geometry_ok(pi))
		return -EPROTO;
	return 0;
}

/**
 * kfblk_cm_rep_build() - encode the private data of an accept or reject
 * @rep: the wire form, written completely
 * @pi: the reply; for a reject only @pi->status matters
 */
void kfblk_cm_rep_build(struct kfblk_cm_rep *rep,
			const struct kfblk_cm_rep_info *pi)
{
	memset(rep, 0, sizeof(*rep));
	rep->magic = cpu_to_le32(KFBLK_MAGIC_CM_REP);
	rep->version = cpu_to_le16(KFBLK_PROTO_VERSION);
	rep->status = cpu_to_le16(pi->status);
	if (pi->status != KFBLK_ST_OK)
		return;
	rep->queue_depth = cpu_to_le16(pi->queue_depth);
	rep->caps = cpu_to_le16(pi->caps);
	rep->logical_block_size = cpu_to_le32(pi->logical_block_size);
	rep->physical_block_size = cpu_to_le32(pi->physical_block_size);
	rep->max_io = cpu_to_le32(pi->max_io);
	rep->capacity = cpu_to_le64(pi->capacity);
	rep->max_discard_sectors = cpu_to_le32(pi->max_discard_sectors);
	rep->max_write_zeroes_sectors =
		cpu_to_le32(pi->max_write_zeroes_sectors);
	rep->inline_max = cpu_to_le32(pi->inline_max);
}

/**
 * kfblk_status_str() - a status for log messages
 * @status: enum kfblk_status, or anything else
 *
 * Return: a constant string.
 */
const char *kfblk_status_str(unsigned int status)
{
	static const char * const names[] = {
		[KFBLK_ST_OK] = "ok",
		[KFBLK_ST_IOERR] = "I/O error",
		[KFBLK_ST_INVAL] = "invalid",
		[KFBLK_ST_RANGE] = "out of range",
		[KFBLK_ST_NOTSUPP] = "not supported",
		[KFBLK_ST_RO] = "read-only",
		[KFBLK_ST_XFER] = "transfer failed",
		[KFBLK_ST_NOSPC] = "no space",
		[KFBLK_ST_NOEXPORT] = "no such export",
		[KFBLK_ST_VERSION] = "version mismatch",
		[KFBLK_ST_BUSY] = "busy",
	};

	return status <= KFBLK_ST_MAX ? names[status] : "unknown";
}
