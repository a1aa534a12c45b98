/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfi_compat.h - one API over every kernel kfabric builds for (6.1 onward).
 *
 * The KFI_HAVE_* macros come from the feature probes in compat/probes/,
 * which the top-level Kbuild compiles against the target kernel: what the
 * headers offer decides, never LINUX_VERSION_CODE, so distribution kernels
 * with backported changes get the right branch.  This is the only file that
 * tests them; the modules call what is below and nothing else differs.
 *
 * Private to this tree: the probes' results exist only inside its build, so
 * nothing here belongs to the API in include/kfabric/.
 *
 * Where a kernel only renamed something, the new name is provided for older
 * kernels, so the code reads like current kernel code.  Where an interface
 * changed shape, a kfi_ helper takes the newest shape.
 */
#ifndef _KFI_COMPAT_H
#define _KFI_COMPAT_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/bvec.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/net.h>
#include <linux/timer.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>
#ifdef KFI_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>
#endif

/* ---- Timers (renamed in 6.2 and 6.16) --------------------------------- */

#ifndef KFI_HAVE_TIMER_DELETE_SYNC
#define timer_delete_sync(t)	del_timer_sync(t)
#endif

#ifndef KFI_HAVE_TIMER_CONTAINER_OF
#define timer_container_of(var, t, field)	from_timer(var, t, field)
#endif

/* ---- Workqueues -------------------------------------------------------- */

/*
 * From 7.2 a workqueue must say whether it is per-CPU or unbound; before
 * 6.17 per-CPU was simply the default, which WQ_PERCPU = 0 keeps.
 */
#ifndef KFI_HAVE_WQ_PERCPU
#define WQ_PERCPU	0
#endif

/* ---- blk-mq ------------------------------------------------------------ */

/* Merging became unconditional in 6.14 and its flag went away. */
#ifdef KFI_HAVE_BLK_MQ_F_SHOULD_MERGE
#define KFI_BLK_MQ_F_MERGE	BLK_MQ_F_SHOULD_MERGE
#else
#define KFI_BLK_MQ_F_MERGE	0
#endif

/*
 * The NUMA node argument of blk_mq_ops.init_request(): an int since 6.15
 * (NUMA_NO_NODE is -1), unsigned before.
 */
#ifdef KFI_HAVE_INIT_REQUEST_INT_NODE
#define kfi_numa_node_t		int
#else
#define kfi_numa_node_t		unsigned int
#endif

static inline int kfi_blk_rq_map_sg(struct request *rq,
				    struct scatterlist *sgl)
{
#ifdef KFI_HAVE_BLK_RQ_MAP_SG_NO_QUEUE
	return blk_rq_map_sg(rq, sgl);
#else
	return blk_rq_map_sg(rq->q, rq, sgl);
#endif
}

/* ---- Pages ------------------------------------------------------------- */

/*
 * The @n-th page after @page in one physically contiguous run, such as a
 * bio_vec's.  Newer kernels dropped nth_page() once such a run could no
 * longer cross a break in the memory map: there plain pointer arithmetic
 * is what it always meant.
 */
#ifndef nth_page
#define nth_page(page, n)	((page) + (n))
#endif

/* ---- Kernel sockets --------------------------------------------------- */

/*
 * kernel_bind() and kernel_connect() take a struct sockaddr_unsized in
 * newer kernels, a struct sockaddr before; these take the storage the
 * address is kept in and pass it as this kernel wants it.
 */
#ifdef KFI_HAVE_SOCKADDR_UNSIZED
#define KFI_SOCKADDR_ARG(ss)	((struct sockaddr_unsized *)(ss))
#else
#define KFI_SOCKADDR_ARG(ss)	((struct sockaddr *)(ss))
#endif

static inline int kfi_kernel_bind(struct socket *sock,
				  struct sockaddr_storage *ss, int len)
{
	return kernel_bind(sock, KFI_SOCKADDR_ARG(ss), len);
}

static inline int kfi_kernel_connect(struct socket *sock,
				     struct sockaddr_storage *ss, int len,
				     int flags)
{
	return kernel_connect(sock, KFI_SOCKADDR_ARG(ss), len, flags);
}

/*
 * Send what @it holds (ITER_BVEC, pages that sendpage_ok() accepts) by
 * reference: the socket takes the pages, not a copy, and may send from
 * them until the peer acknowledges them.  Returns the bytes taken (from
 * 6.5, as many as sendmsg() takes; before, at most the first page's worth,
 * by kernel_sendpage()) or a negative errno, -EAGAIN when the socket is
 * full (@flags has MSG_DONTWAIT).
 */
static inline int kfi_sock_send_pages(struct socket *sock,
				      const struct iov_iter *it, int flags)
{
#ifdef KFI_HAVE_MSG_SPLICE_PAGES
	struct msghdr mh = { .msg_flags = flags | MSG_SPLICE_PAGES };

	mh.msg_iter = *it;
	return sock_sendmsg(sock, &mh);
#else
	const struct bio_vec *bv = it->bvec;
	size_t off = bv->bv_offset + it->iov_offset;
	size_t len = min3(bv->bv_len - it->iov_offset, iov_iter_count(it),
			  PAGE_SIZE - offset_in_page(off));

	if (len < iov_iter_count(it))
		flags |= MSG_MORE | MSG_SENDPAGE_NOTLAST;
	return kernel_sendpage(sock, nth_page(bv->bv_page, off >> PAGE_SHIFT),
			       offset_in_page(off), len, flags);
#endif
}

/* ---- Disk allocation with its limits --------------------------------- */

/* Flags for kfi_blk_mq_alloc_disk(); without ROTATIONAL the disk is an SSD. */
#define KFI_DISK_WRITE_CACHE	BIT(0)	/* volatile cache: honours flushes */
#define KFI_DISK_FUA		BIT(1)	/* forced unit access; needs the above */
#define KFI_DISK_ROTATIONAL	BIT(2)

#ifndef KFI_HAVE_BLK_MQ_ALLOC_DISK_LIMITS
/*
 * Before 6.9 the limits were set one by one on the live queue.  Only the
 * fields kfabric's drivers fill are carried over: add one here when a
 * driver starts to set another.
 */
static inline void kfi_queue_apply_limits(struct request_queue *q,
					  const struct queue_limits *lim)
{
	blk_queue_logical_block_size(q, lim->logical_block_size);
	blk_queue_physical_block_size(q, lim->physical_block_size);
	blk_queue_io_min(q, lim->io_min);
	blk_queue_max_hw_sectors(q, lim->max_hw_sectors);
	blk_queue_max_segments(q, lim->max_segments);
	if (lim->virt_boundary_mask)
		blk_queue_virt_boundary(q, lim->virt_boundary_mask);
	blk_queue_max_discard_sectors(q, lim->max_hw_discard_sectors);
	q->limits.discard_granularity = lim->discard_granularity;
	blk_queue_max_write_zeroes_sectors(q, lim->max_write_zeroes_sectors);
}
#endif

#ifndef KFI_HAVE_BLK_FEAT
/* Before 6.11 cache and rotational were queue flags, set after allocation. */
static inline void kfi_queue_apply_features(struct request_queue *q,
					    unsigned int flags)
{
	bool wc = flags & KFI_DISK_WRITE_CACHE;

	blk_queue_write_cache(q, wc, wc && (flags & KFI_DISK_FUA));
	if (!(flags & KFI_DISK_ROTATIONAL))
		blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
}
#endif

/**
 * kfi_blk_mq_alloc_disk() - allocate a blk-mq disk with its limits
 * @set: an allocated tag set
 * @lim: the queue limits; may be adjusted (defaults, rounding) as
 *	 blk_validate_limits() does, which checks them on 6.9 and later
 * @flags: KFI_DISK_*
 * @queuedata: the request queue's queuedata
 *
 * The 6.9+ shape, where the limits go in at allocation and are validated
 * once, whatever the kernel: older kernels get them through the old setters
 * right after allocation, before the disk can be seen.
 *
 * Context: process, may sleep.
 * Return: the disk or an ERR_PTR().
 */
static inline struct gendisk *kfi_blk_mq_alloc_disk(struct blk_mq_tag_set *set,
						    struct queue_limits *lim,
						    unsigned int flags,
						    void *queuedata)
{
	struct gendisk *disk;

#ifdef KFI_HAVE_BLK_FEAT
	if (flags & KFI_DISK_WRITE_CACHE) {
		lim->features |= BLK_FEAT_WRITE_CACHE;
		if (flags & KFI_DISK_FUA)
			lim->features |= BLK_FEAT_FUA;
	}
	if (flags & KFI_DISK_ROTATIONAL)
		lim->features |= BLK_FEAT_ROTATIONAL;
#endif
#ifdef KFI_HAVE_BLK_MQ_ALLOC_DISK_LIMITS
	disk = blk_mq_alloc_disk(set, lim, queuedata);
#else
	disk = blk_mq_alloc_disk(set, queuedata);
	if (!IS_ERR(disk))
		kfi_queue_apply_limits(disk->queue, lim);
#endif
#ifndef KFI_HAVE_BLK_FEAT
	if (!IS_ERR(disk))
		kfi_queue_apply_features(disk->queue, flags);
#endif
	return disk;
}

/* ---- RDMA ---------------------------------------------------------------- */

/**
 * kfi_ib_resize_cq() - grow a CQ, where the kernel lets its users do that
 * @cq: the CQ
 * @cqe: entries wanted
 *
 * Newer kernels no longer export ib_resize_cq() to kernel users: there a
 * CQ keeps the size it was created with.
 *
 * Context: process, may sleep.
 * Return: 0, a negative errno, or -EOPNOTSUPP where CQs cannot grow.
 */
static inline int kfi_ib_resize_cq(struct ib_cq *cq, unsigned int cqe)
{
#ifdef KFI_HAVE_IB_RESIZE_CQ
	return ib_resize_cq(cq, cqe);
#else
	return -EOPNOTSUPP;
#endif
}

/* ---- Opening a block device exclusively -------------------------------- */

/**
 * struct kfi_bdev_handle - what closing an opened block device needs
 * @file: the device opened as a file (6.9+)
 * @bdev: the device (before 6.9)
 * @mode: how it was opened (before 6.9)
 */
struct kfi_bdev_handle {
#ifdef KFI_HAVE_BDEV_FILE_OPEN_BY_PATH
	struct file *file;
#else
	struct block_device *bdev;
	fmode_t mode;
#endif
};

/**
 * kfi_bdev_open() - open a block device by path for exclusive use
 * @path: the device node
 * @write: also for writing
 * @holder: the exclusive holder; nobody else may open it exclusively
 * @h: filled in, for kfi_bdev_close()
 *
 * Context: process, may sleep.
 * Return: the block device or an ERR_PTR(); on error @h is not to be closed.
 */
static inline struct block_device *kfi_bdev_open(const char *path, bool write,
						 void *holder,
						 struct kfi_bdev_handle *h)
{
#ifdef KFI_HAVE_BDEV_FILE_OPEN_BY_PATH
	h->file = bdev_file_open_by_path(path, BLK_OPEN_READ |
					 (write ? BLK_OPEN_WRITE : 0),
					 holder, NULL);
	if (IS_ERR(h->file))
		return ERR_CAST(h->file);
	return file_bdev(h->file);
#else
	h->mode = FMODE_READ | FMODE_EXCL | (write ? FMODE_WRITE : 0);
	h->bdev = blkdev_get_by_path(path, h->mode, holder);
	return h->bdev;
#endif
}

/**
 * kfi_bdev_close() - close what kfi_bdev_open() opened
 * @h: its handle
 *
 * Context: process, may sleep.
 */
static inline void kfi_bdev_close(struct kfi_bdev_handle *h)
{
#ifdef KFI_HAVE_BDEV_FILE_OPEN_BY_PATH
	fput(h->file);
#else
	blkdev_put(h->bdev, h->mode);
#endif
}

/* ---- Devices ----------------------------------------------------------- */

/* What device_type.devnode() is given: a const device from 6.2. */
#ifdef KFI_HAVE_DEVNODE_CONST_DEV
#define kfi_devnode_device	const struct device
#else
#define kfi_devnode_device	struct device
#endif

/* ---- VFS ------------------------------------------------------------- */

/*
 * The ID mapping of a mount, as vfs_unlink() and friends take it: a
 * struct mnt_idmap from 6.3, the mount's user namespace before.
 */
#ifdef KFI_HAVE_MNT_IDMAP
#define kfi_mnt_idmap(mnt)	mnt_idmap(mnt)
#else
#define kfi_mnt_idmap(mnt)	mnt_user_ns(mnt)
#endif

/* ---- io_uring commands --------------------------------------------------- */

/*
 * The shapes here are those of Debian's 6.1 (which carries 6.3's
 * issue_flags on io_uring_cmd_done() and on task-work callbacks), 6.12
 * and 7.3; a 6.1 without that backport does not build.
 */

/* The 16 bytes of command a 64-byte SQE carries (more with SQE128). */
static inline const void *kfi_uring_cmd_area(const struct io_uring_cmd *c)
{
#ifdef KFI_HAVE_URING_CMD_SQE
	return c->sqe->cmd;
#else
	return c->cmd;
#endif
}

/**
 * kfi_uring_cmd_done() - post a command's completion
 * @c: the command
 * @ret: the CQE's res: 0 or a negative errno
 * @issue_flags: what io_uring passed to the caller, as is
 *
 * No res2: newer kernels post one only through io_uring_cmd_done32().
 */
static inline void kfi_uring_cmd_done(struct io_uring_cmd *c, int ret,
				      unsigned int issue_flags)
{
#ifdef KFI_HAVE_URING_CMD_DONE32
	io_uring_cmd_done(c, ret, issue_flags);
#else
	io_uring_cmd_done(c, ret, 0, issue_flags);
#endif
}

/*
 * KFI_DEFINE_URING_TW(name, fn) defines name(), a callback for
 * io_uring_cmd_complete_in_task() on this kernel, that calls
 * fn(struct io_uring_cmd *, unsigned int issue_flags) in the submitting
 * task's context.  From 7.x the callback is given a struct io_tw_req.
 */
#ifdef KFI_HAVE_URING_TW_REQ
#define KFI_DEFINE_URING_TW(name, fn)					\
static void name(struct io_tw_req tw_req, io_tw_token_t tw)		\
{									\
	fn(io_uring_cmd_from_tw(tw_req),				\
	   IO_URING_CMD_TASK_WORK_ISSUE_FLAGS);				\
}
#else
#define KFI_DEFINE_URING_TW(name, fn)					\
static void name(struct io_uring_cmd *cmd, unsigned int issue_flags)	\
{									\
	fn(cmd, issue_flags);						\
}
#endif

#endif /* _KFI_COMPAT_H */
