// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv character devices: /dev/kfkv/<name> for each store attached
 * through configfs, with the synchronous ioctls of
 * include/uapi/kfabric/kfkv.h and the same operations as io_uring
 * commands (IORING_OP_URING_CMD), which complete asynchronously: the
 * client's callback hands the command back to the submitting task, which
 * writes the outputs, lets the pages go and posts the CQE.
 *
 * A value never passes through a kernel buffer: the caller's pages are
 * pinned for the call and handed to the client as they are, so the
 * target's RMA reads or writes them directly (values small enough to
 * travel inline are copied into the message by the client, as for any
 * kernel caller).  Access is checked on open and again on every
 * operation, against the owner, group and mode set in configfs: a mode
 * taken away holds for descriptors already open.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <uapi/kfabric/kfkv.h>
#include <kfi_compat.h>
#include "kfkv_client.h"
#include "kfkv_dev.h"

#define KFKV_MINORS	256

static dev_t kfkv_devt;
/* minor -> struct kfkv_dev of every enabled device, for open */
static DEFINE_XARRAY_ALLOC(kfkv_minors);

/**
 * struct kfkv_file - an open descriptor
 * @d: the device, a reference held
 * @gen: d->gen when opened
 */
struct kfkv_file {
	struct kfkv_dev *d;
	u32 gen;
};

/* A user buffer pinned for one operation, as the client takes pages. */
struct kfkv_ubuf {
	struct page **pages;
	struct bio_vec *bv;
	u32 nr;
	bool dirty;
};

/**
 * struct kfkv_ureq - one operation from user space
 * @op: what the client runs
 * @cmd: its KFKV_IOC_* number
 * @uarg: the caller's argument, where the outputs go back
 * @a: the argument, copied in once
 * @b: PUT, GET: the caller's pages, pinned
 * @keys: LIST: the kernel buffer the answer lands in
 * @key: the key (LIST: the prefix), copied in
 * @cookie: LIST: the cookie, copied in
 * @done: an ioctl waits for @op here
 * @ucmd: an io_uring command is completed from @op's callback
 *
 * The ioctls and the io_uring commands build it the same way
 * (kfkv_ureq_args(), kfkv_ureq_start()) and finish it the same way
 * (kfkv_ureq_out(), kfkv_ureq_free()); only waiting differs.
 */
struct kfkv_ureq {
	struct kfkv_op op;
	unsigned int cmd;
	void __user *uarg;
	union {
		struct kfkv_ioc_put put;
		struct kfkv_ioc_get get;
		struct kfkv_ioc_del del;
		struct kfkv_ioc_stat stat;
		struct kfkv_ioc_list list;
	} a;
	struct kfkv_ubuf b;
	u8 *keys;
	u8 key[KFKV_UAPI_KEY_MAX];
	u8 cookie[KFKV_UAPI_KEY_MAX];
	union {
		struct completion done;
		struct io_uring_cmd *ucmd;
	};
};

/* ---- Protection --------------------------------------------------------- */

/*
 * May the caller (current's credentials) do @mask (MAY_READ, MAY_WRITE)?
 * The owner's bits, else the group's, else the others', as for a file;
 * CAP_DAC_OVERRIDE passes as it does for files.
 */
static int kfkv_dev_may(struct kfkv_dev *d, int mask)
{
	umode_t mode;
	kuid_t uid;
	kgid_t gid;

	spin_lock(&d->perm_lock);
	uid = d->uid;
	gid = d->gid;
	mode = d->mode;
	spin_unlock(&d->perm_lock);
	if (uid_eq(current_fsuid(), uid))
		mode >>= 6;
	else if (in_group_p(gid))
		mode >>= 3;
	mask &= MAY_READ | MAY_WRITE;
	if (!(mask & ~mode))
		return 0;
	return capable(CAP_DAC_OVERRIDE) ? 0 : -EACCES;
}

/*
 * Before each operation: the descriptor must be open for it (-EBADF, as
 * for read() and write()) and the store's mode must still allow it.
 */
static int kfkv_file_may(struct file *file, int mask)
{
	struct kfkv_file *f = file->private_data;
	fmode_t need = mask & MAY_WRITE ? FMODE_WRITE : FMODE_READ;

	if (!(file->f_mode & need))
		return -EBADF;
	return kfkv_dev_may(f->d, mask);
}

/* The access each command needs; 0 for a command that is not one. */
static int kfkv_ioc_mask(unsigned int cmd)
{
	switch (cmd) {
	case KFKV_IOC_PUT:
	case KFKV_IOC_DEL:
		return MAY_WRITE;
	case KFKV_IOC_GET:
	case KFKV_IOC_STAT:
	case KFKV_IOC_LIST:
	case KFKV_IOC_INFO:
		return MAY_READ;
	}
	return 0;
}

/* ---- The handle --------------------------------------------------------- */

/*
 * The device's handle, with io_lock held for reading, or an error when
 * the device was disabled since the descriptor was opened (or, with
 * @nowait, when the lock is not free at once: -EAGAIN).
 */
static struct kfkv_handle *kfkv_file_handle(struct kfkv_file *f, bool nowait)
{
	struct kfkv_dev *d = f->d;

	if (!nowait)
		down_read(&d->io_lock);
	else if (!down_read_trylock(&d->io_lock))
		return ERR_PTR(-EAGAIN);
	if (d->h && d->gen == f->gen)
		return d->h;
	up_read(&d->io_lock);
	return ERR_PTR(-ENODEV);
}

/* The largest value this device moves: the store's and the handle's. */
static u64 kfkv_dev_max(struct kfkv_dev *d, struct kfkv_handle *h)
{
	return min(kfkv_max_value(h), READ_ONCE(d->max_value));
}

/* ---- User memory -------------------------------------------------------- */

static void kfkv_ubuf_release(struct kfkv_ubuf *b)
{
	if (b->nr)
		unpin_user_pages_dirty_lock(b->pages, b->nr, b->dirty);
	kvfree(b->pages);
	kvfree(b->bv);
	memset(b, 0, sizeof(*b));
}

/* Pin @len bytes at @uaddr (for writing into when @write). */
static int kfkv_ubuf_pin(struct kfkv_ubuf *b, u64 uaddr, u64 len, bool write)
{
	unsigned long off = offset_in_page(uaddr);
	u64 done = 0;
	u32 i, nr;
	int got;

	if (!len)
		return 0;
	if (uaddr + len < uaddr || uaddr + len > TASK_SIZE_MAX)
		return -EFAULT;
	nr = DIV_ROUND_UP(off + len, PAGE_SIZE);
	b->pages = kvmalloc_array(nr, sizeof(*b->pages), GFP_KERNEL);
	b->bv = kvmalloc_array(nr, sizeof(*b->bv), GFP_KERNEL);
	if (!b->pages || !b->bv)
		return -ENOMEM;
	got = pin_user_pages_fast(uaddr - off, nr, write ? FOLL_WRITE : 0,
				  b->pages);
	if (got > 0)
		b->nr = got;
	if (got < 0)
		return got;
	if (got != nr)
		return -EFAULT;
	b->dirty = write;
	/* The first page from @off, the others whole, the last up to @len. */
	for (i = 0; i < nr; i++) {
		u32 n = min_t(u64, PAGE_SIZE - off, len - done);

		bvec_set_page(&b->bv[i], b->pages[i], n, off);
		done += n;
		off = 0;
	}
	return 0;
}

/* A key (or prefix, or cookie) from user space: 1 (or @min) to 250 bytes. */
static int kfkv_key_in(u8 *key, u64 uaddr, u16 len, u16 min)
{
	if (len < min || len > KFKV_UAPI_KEY_MAX)
		return -EINVAL;
	if (len && copy_from_user(key, u64_to_user_ptr(uaddr), len))
		return -EFAULT;
	return 0;
}

/* ---- Building a request ------------------------------------------------- */

static int kfkv_put_args(struct kfkv_ureq *r)
{
	const struct kfkv_ioc_put *p = &r->a.put;

	if (p->reserved || p->flags & ~(KFKV_FL_IF_ABSENT |
					KFKV_FL_IF_VERSION | KFKV_FL_DURABLE) ||
	    (p->flags & KFKV_FL_IF_ABSENT && p->flags & KFKV_FL_IF_VERSION))
		return -EINVAL;
	r->op.flags = p->flags;
	r->op.key_len = p->key_len;
	r->op.version = p->version;
	return kfkv_key_in(r->key, p->key, p->key_len, 1);
}

static int kfkv_get_args(struct kfkv_ureq *r)
{
	const struct kfkv_ioc_get *p = &r->a.get;

	if (p->reserved || p->flags & ~KFKV_FL_RANGE ||
	    (!(p->flags & KFKV_FL_RANGE) && p->offset))
		return -EINVAL;
	r->op.flags = p->flags;
	r->op.key_len = p->key_len;
	r->op.offset = p->offset;
	return kfkv_key_in(r->key, p->key, p->key_len, 1);
}

static int kfkv_del_args(struct kfkv_ureq *r)
{
	const struct kfkv_ioc_del *p = &r->a.del;

	if (p->reserved || p->flags & ~KFKV_FL_IF_VERSION)
		return -EINVAL;
	r->op.flags = p->flags;
	r->op.key_len = p->key_len;
	r->op.version = p->version;
	return kfkv_key_in(r->key, p->key, p->key_len, 1);
}

static int kfkv_stat_args(struct kfkv_ureq *r)
{
	const struct kfkv_ioc_stat *p = &r->a.stat;

	if (p->reserved || p->flags)
		return -EINVAL;
	r->op.key_len = p->key_len;
	return kfkv_key_in(r->key, p->key, p->key_len, 1);
}

static int kfkv_list_args(struct kfkv_ureq *r)
{
	const struct kfkv_ioc_list *p = &r->a.list;

	if (p->reserved || p->flags || p->buf_len < KFKV_UAPI_LIST_BUF ||
	    !p->max_keys || p->max_keys > KFKV_UAPI_LIST_MAX)
		return -EINVAL;
	r->op.key_len = p->prefix_len;
	r->op.cookie = p->cookie_len ? r->cookie : NULL;
	r->op.cookie_len = p->cookie_len;
	r->op.max_keys = p->max_keys;
	return kfkv_key_in(r->key, p->prefix, p->prefix_len, 0) ?:
	       kfkv_key_in(r->cookie, p->cookie, p->cookie_len, 0);
}

/**
 * kfkv_ureq_args() - copy an operation's argument in and check it
 * @r: a zeroed request with @cmd (PUT, GET, DEL, STAT or LIST) and @uarg
 *
 * Context: process, the caller's.
 * Return: 0, -EFAULT, or -EINVAL for what the argument gets wrong.
 */
static int kfkv_ureq_args(struct kfkv_ureq *r)
{
	static const u8 types[] = {
		[_IOC_NR(KFKV_IOC_PUT)] = KFKV_PUT,
		[_IOC_NR(KFKV_IOC_GET)] = KFKV_GET,
		[_IOC_NR(KFKV_IOC_DEL)] = KFKV_DELETE,
		[_IOC_NR(KFKV_IOC_STAT)] = KFKV_STAT,
		[_IOC_NR(KFKV_IOC_LIST)] = KFKV_LIST,
	};

	if (copy_from_user(&r->a, r->uarg, _IOC_SIZE(r->cmd)))
		return -EFAULT;
	r->op.type = types[_IOC_NR(r->cmd)];
	r->op.key = r->key;
	switch (r->cmd) {
	case KFKV_IOC_PUT:
		return kfkv_put_args(r);
	case KFKV_IOC_GET:
		return kfkv_get_args(r);
	case KFKV_IOC_DEL:
		return kfkv_del_args(r);
	case KFKV_IOC_STAT:
		return kfkv_stat_args(r);
	default:
		return kfkv_list_args(r);
	}
}

/*
 * The memory the answer moves through: a PUT's value pinned (-EFBIG over
 * the largest), a GET's buffer pinned no further than the largest object
 * fills, a LIST's kernel buffer.
 */
static int kfkv_ureq_bufs(struct kfkv_ureq *r, u64 max)
{
	u64 len;

	switch (r->cmd) {
	case KFKV_IOC_PUT:
		len = r->a.put.value_len;
		if (len > max)
			return -EFBIG;
		r->op.len = len;
		return kfkv_ubuf_pin(&r->b, r->a.put.value, len, false);
	case KFKV_IOC_GET:
		len = min(r->a.get.buf_len, max);
		r->op.len = len;
		return kfkv_ubuf_pin(&r->b, r->a.get.buf, len, true);
	case KFKV_IOC_LIST:
		r->keys = kmalloc(KFKV_LIST_BYTES, GFP_KERNEL);
		if (!r->keys)
			return -ENOMEM;
		r->op.keys = r->keys;
		r->op.len = KFKV_LIST_BYTES;
		return 0;
	}
	return 0;
}

/**
 * kfkv_ureq_start() - give a built request to the device's handle
 * @f: the descriptor
 * @r: the request, its arguments in
 * @nowait: fail with -EAGAIN rather than sleep for the device's lock or
 *	for a free slot (an io_uring command issued inline)
 *
 * On success @r->op.done runs once, with the outcome; the lock is not
 * held meanwhile: disabling the device completes what is in flight.
 *
 * Return: 0; or a negative errno, and @r->op.done will not run.
 */
static int kfkv_ureq_start(struct kfkv_file *f, struct kfkv_ureq *r,
			   bool nowait)
{
	struct kfkv_handle *h;
	int ret;

	h = kfkv_file_handle(f, nowait);
	if (IS_ERR(h))
		return PTR_ERR(h);
	ret = kfkv_ureq_bufs(r, kfkv_dev_max(f->d, h));
	if (!ret) {
		r->op.bvec = r->b.bv;
		r->op.nr_bvec = r->b.nr;
		ret = nowait ? kfkv_submit(h, &r->op) :
			       kfkv_submit_wait(h, &r->op);
	}
	up_read(&f->d->io_lock);
	return ret;
}

/* ---- Finishing a request ------------------------------------------------ */

static int kfkv_list_out(struct kfkv_ureq *r)
{
	struct kfkv_ioc_list __user *up = r->uarg;

	if (copy_to_user(u64_to_user_ptr(r->a.list.buf), r->keys,
			 r->op.xfer) ||
	    put_user((u32)r->op.size, &up->nr_keys) ||
	    put_user((u32)r->op.xfer, &up->used) ||
	    put_user((u32)r->op.more, &up->more))
		return -EFAULT;
	return 0;
}

static int kfkv_get_out(struct kfkv_ureq *r)
{
	struct kfkv_ioc_get __user *up = r->uarg;

	if (put_user(r->op.size, &up->size) ||
	    put_user(r->op.obj_version, &up->version) ||
	    put_user(r->op.xfer, &up->xfer))
		return -EFAULT;
	return 0;
}

static int kfkv_stat_out(struct kfkv_ureq *r)
{
	struct kfkv_ioc_stat __user *up = r->uarg;

	if (put_user(r->op.size, &up->size) ||
	    put_user(r->op.obj_version, &up->version))
		return -EFAULT;
	return 0;
}

/**
 * kfkv_ureq_out() - write an operation's outputs back to its argument
 * @r: the request
 * @ret: its outcome
 *
 * What an outcome reports: a PUT's version (also with -EEXIST and
 * -ESTALE), a GET's size, version and bytes (also the size with
 * -EOVERFLOW), a STAT's size and version, a LIST's keys.
 *
 * Context: process, the caller's (the user memory is its).
 * Return: @ret, or -EFAULT when the outputs could not be written.
 */
static int kfkv_ureq_out(struct kfkv_ureq *r, int ret)
{
	struct kfkv_ioc_put __user *put = r->uarg;
	int err = 0;

	switch (r->cmd) {
	case KFKV_IOC_PUT:
		if (!ret || ret == -EEXIST || ret == -ESTALE)
			err = put_user(r->op.obj_version, &put->version);
		break;
	case KFKV_IOC_GET:
		if (!ret || ret == -EOVERFLOW)
			err = kfkv_get_out(r);
		break;
	case KFKV_IOC_STAT:
		if (!ret)
			err = kfkv_stat_out(r);
		break;
	case KFKV_IOC_LIST:
		if (!ret)
			err = kfkv_list_out(r);
		break;
	}
	return err ? -EFAULT : ret;
}

/* Let the pages go (a GET's marked dirty), and the request. */
static void kfkv_ureq_free(struct kfkv_ureq *r)
{
	kfkv_ubuf_release(&r->b);
	kfree(r->keys);
	kfree(r);
}

static struct kfkv_ureq *kfkv_ureq_alloc(unsigned int cmd, u64 uarg)
{
	struct kfkv_ureq *r = kzalloc(sizeof(*r), GFP_KERNEL);

	if (r) {
		r->cmd = cmd;
		r->uarg = u64_to_user_ptr(uarg);
	}
	return r;
}

/* ---- The ioctls --------------------------------------------------------- */

static void kfkv_ioc_done(struct kfkv_op *op)
{
	complete(&container_of(op, struct kfkv_ureq, op)->done);
}

/*
 * Build, submit and wait.  The wait cannot be interrupted: the caller's
 * pages stay pinned until the operation is over, which the handle's
 * watchdog bounds (an answer later than its timeout fails the handle).
 */
static long kfkv_ioc_run(struct kfkv_file *f, unsigned int cmd,
			 unsigned long arg)
{
	struct kfkv_ureq *r = kfkv_ureq_alloc(cmd, arg);
	int ret;

	if (!r)
		return -ENOMEM;
	init_completion(&r->done);
	r->op.done = kfkv_ioc_done;
	ret = kfkv_ureq_args(r);
	if (!ret)
		ret = kfkv_ureq_start(f, r, false);
	if (!ret) {
		kfkv_wait(&r->done);
		ret = kfkv_ureq_out(r, r->op.result);
	}
	kfkv_ureq_free(r);
	return ret;
}

static long kfkv_ioc_info(struct kfkv_file *f, struct kfkv_ioc_info __user *up,
			  bool nowait)
{
	struct kfkv_ioc_info p = {};
	struct kfkv_handle *h;

	h = kfkv_file_handle(f, nowait);
	if (IS_ERR(h))
		return PTR_ERR(h);
	p.max_value = kfkv_dev_max(f->d, h);
	p.depth = kfkv_depth(h);
	up_read(&f->d->io_lock);
	return copy_to_user(up, &p, sizeof(p)) ? -EFAULT : 0;
}

static long kfkv_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct kfkv_file *f = file->private_data;
	int mask = kfkv_ioc_mask(cmd);
	int ret;

	if (!mask)
		return -ENOTTY;
	ret = kfkv_file_may(file, mask);
	if (ret)
		return ret;
	if (cmd == KFKV_IOC_INFO)
		return kfkv_ioc_info(f, (void __user *)arg, false);
	return kfkv_ioc_run(f, cmd, arg);
}

/* ---- io_uring commands -------------------------------------------------- */

#define KFKV_URING_AGAIN	0x6b766167	/* "kvag" */

/*
 * What a command read from its SQE, kept while io_uring issues it again
 * from a worker (after -EAGAIN).  6.12 copies the SQE then but leaves the
 * command pointing at the ring's slot, which the program may have filled
 * with another SQE meanwhile; so the second issue takes what the first
 * read, unless the command points somewhere else by then (a copy).
 */
struct kfkv_uring_again {
	const void *area;
	u64 arg;
	u32 arg_len;
	u32 flags;
	u32 magic;
};

/* What a command keeps in its pdu: in flight, or between two issues. */
struct kfkv_uring_pdu {
	union {
		struct kfkv_ureq *r;
		struct kfkv_uring_again again;
	};
};

static struct kfkv_uring_pdu *kfkv_uring_pdu(struct io_uring_cmd *ucmd)
{
	BUILD_BUG_ON(sizeof(struct kfkv_uring_pdu) > sizeof(ucmd->pdu));
	return (struct kfkv_uring_pdu *)ucmd->pdu;
}

/*
 * In the submitting task: the outputs written back, the pages let go,
 * the CQE posted.  When the task is gone the callback runs in a kernel
 * worker, with no user memory to write to: then only the rest.
 */
static void kfkv_uring_finish(struct io_uring_cmd *ucmd,
			      unsigned int issue_flags)
{
	struct kfkv_ureq *r = kfkv_uring_pdu(ucmd)->r;
	int ret = r->op.result;

	if (current->mm)
		ret = kfkv_ureq_out(r, ret);
	kfkv_ureq_free(r);
	kfi_uring_cmd_done(ucmd, ret, issue_flags);
}

KFI_DEFINE_URING_TW(kfkv_uring_tw, kfkv_uring_finish)

/* The client's callback (softirq, or a worker when the handle fails). */
static void kfkv_uring_done(struct kfkv_op *op)
{
	struct kfkv_ureq *r = container_of(op, struct kfkv_ureq, op);

	io_uring_cmd_complete_in_task(r->ucmd, kfkv_uring_tw);
}

/* Build and submit; without IO_URING_F_NONBLOCK, wait for a free slot. */
static int kfkv_uring_start(struct kfkv_file *f, struct io_uring_cmd *ucmd,
			    u64 uarg, unsigned int issue_flags)
{
	struct kfkv_ureq *r = kfkv_ureq_alloc(ucmd->cmd_op, uarg);
	int ret;

	if (!r)
		return -ENOMEM;
	r->ucmd = ucmd;
	r->op.done = kfkv_uring_done;
	kfkv_uring_pdu(ucmd)->r = r;
	ret = kfkv_ureq_args(r);
	if (!ret)
		ret = kfkv_ureq_start(f, r, issue_flags & IO_URING_F_NONBLOCK);
	if (ret) {
		kfkv_ureq_free(r);
		return ret;
	}
	/* From here @r is the callback's. */
	return -EIOCBQUEUED;
}

/* One issue of a command, with the arguments its SQE named. */
static int kfkv_dev_uring_issue(struct io_uring_cmd *ucmd,
				const struct kfkv_uring_again *a,
				unsigned int issue_flags)
{
	struct kfkv_file *f = ucmd->file->private_data;
	u32 cmd = ucmd->cmd_op;
	int mask = kfkv_ioc_mask(cmd);
	int ret;

	if (!mask)
		return -ENOTTY;
	if (a->flags || a->arg_len != _IOC_SIZE(cmd))
		return -EINVAL;
	ret = kfkv_file_may(ucmd->file, mask);
	if (ret)
		return ret;
	if (cmd == KFKV_IOC_INFO)
		return kfkv_ioc_info(f, u64_to_user_ptr(a->arg),
				     issue_flags & IO_URING_F_NONBLOCK);
	return kfkv_uring_start(f, ucmd, a->arg, issue_flags);
}

/*
 * An IORING_OP_URING_CMD: the ioctl of the same number, its argument
 * named by the SQE's struct kfkv_uring_cmd.  -EAGAIN when issued
 * inline makes io_uring issue it again from its worker, where it may
 * sleep; every other error is the CQE's.
 */
static int kfkv_dev_uring_cmd(struct io_uring_cmd *ucmd,
			      unsigned int issue_flags)
{
	struct kfkv_uring_again *kept = &kfkv_uring_pdu(ucmd)->again;
	const struct kfkv_uring_cmd *c = kfi_uring_cmd_area(ucmd);
	struct kfkv_uring_again a = { .area = c };
	int ret;

	if (!(issue_flags & IO_URING_F_NONBLOCK) &&
	    kept->magic == KFKV_URING_AGAIN && kept->area == c) {
		a = *kept;
	} else {
		/* The SQE is the program's memory: each field read once. */
		a.arg = READ_ONCE(c->arg);
		a.arg_len = READ_ONCE(c->arg_len);
		a.flags = READ_ONCE(c->flags);
	}
	kept->magic = 0;
	ret = kfkv_dev_uring_issue(ucmd, &a, issue_flags);
	/* Anything but -EAGAIN: the pdu is no longer ours to write. */
	if (ret == -EAGAIN) {
		*kept = a;
		kept->magic = KFKV_URING_AGAIN;
	}
	return ret;
}

/* ---- Open and release ------------------------------------------------- */

/* The enabled device of @minor, with a reference, or NULL. */
static struct kfkv_dev *kfkv_dev_get(unsigned int minor)
{
	struct kfkv_dev *d;

	xa_lock(&kfkv_minors);
	d = xa_load(&kfkv_minors, minor);
	if (d)
		config_item_get(&d->group.cg_item);
	xa_unlock(&kfkv_minors);
	return d;
}

static int kfkv_dev_open(struct inode *inode, struct file *file)
{
	int mask = (file->f_mode & FMODE_READ ? MAY_READ : 0) |
		   (file->f_mode & FMODE_WRITE ? MAY_WRITE : 0);
	struct kfkv_file *f;
	struct kfkv_dev *d;
	int ret;

	d = kfkv_dev_get(iminor(inode));
	if (!d)
		return -ENODEV;
	ret = kfkv_dev_may(d, mask);
	if (ret)
		goto put;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f) {
		ret = -ENOMEM;
		goto put;
	}
	f->d = d;
	down_read(&d->io_lock);
	f->gen = d->gen;
	up_read(&d->io_lock);
	file->private_data = f;
	return nonseekable_open(inode, file);

put:
	config_item_put(&d->group.cg_item);
	return ret;
}

static int kfkv_dev_release(struct inode *inode, struct file *file)
{
	struct kfkv_file *f = file->private_data;

	config_item_put(&f->d->group.cg_item);
	kfree(f);
	return 0;
}

static const struct file_operations kfkv_dev_fops = {
	.owner = THIS_MODULE,
	.open = kfkv_dev_open,
	.release = kfkv_dev_release,
	.unlocked_ioctl = kfkv_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.uring_cmd = kfkv_dev_uring_cmd,
};

/* ---- The device node ---------------------------------------------------- */

static struct class kfkv_class = {
	.name = "kfkv",
};

/* devtmpfs creates /dev/kfkv/<name> with the configured owner and mode. */
static char *kfkv_node_devnode(kfi_devnode_device *dev, umode_t *mode,
			       kuid_t *uid, kgid_t *gid)
{
	struct kfkv_dev *d = dev_get_drvdata(dev);

	spin_lock(&d->perm_lock);
	if (mode)
		*mode = d->mode;
	if (uid)
		*uid = d->uid;
	if (gid)
		*gid = d->gid;
	spin_unlock(&d->perm_lock);
	/* NULL: the name is the device's, its '!' made a '/'. */
	return NULL;
}

static const struct device_type kfkv_node_type = {
	.name = "kfkv_store",
	.devnode = kfkv_node_devnode,
};

static void kfkv_node_release(struct device *dev)
{
	kfree(dev);
}

static void kfkv_node_del(struct kfkv_dev *d)
{
	if (d->node)
		device_unregister(d->node);
	d->node = NULL;
}

static int kfkv_node_add(struct kfkv_dev *d)
{
	struct device *dev;
	int ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	device_initialize(dev);
	dev->class = &kfkv_class;
	dev->type = &kfkv_node_type;
	dev->devt = MKDEV(MAJOR(kfkv_devt), d->minor);
	dev->release = kfkv_node_release;
	dev_set_drvdata(dev, d);
	ret = dev_set_name(dev, "kfkv!%s", d->name) ?: device_add(dev);
	if (ret) {
		put_device(dev);
		return ret;
	}
	d->node = dev;
	return 0;
}

/**
 * kfkv_dev_node_refresh() - make the node again with the current mode
 * @d: the device, its @lock held
 *
 * devtmpfs takes owner and mode only when it creates a node.  Open
 * descriptors are not affected (the character device stays).
 *
 * Return: 0 or a negative errno (then the node is gone until re-enabled).
 */
int kfkv_dev_node_refresh(struct kfkv_dev *d)
{
	lockdep_assert_held(&d->lock);
	if (!d->enabled)
		return 0;
	kfkv_node_del(d);
	return kfkv_node_add(d);
}

/* ---- Enabling ------------------------------------------------------------ */

static int kfkv_dev_cdev_add(struct kfkv_dev *d)
{
	int ret;

	ret = xa_alloc(&kfkv_minors, &d->minor, d,
		       XA_LIMIT(0, KFKV_MINORS - 1), GFP_KERNEL);
	if (ret)
		return ret == -EBUSY ? -ENOSPC : ret;
	d->cdev = cdev_alloc();
	if (!d->cdev) {
		ret = -ENOMEM;
		goto erase;
	}
	d->cdev->owner = THIS_MODULE;
	d->cdev->ops = &kfkv_dev_fops;
	ret = cdev_add(d->cdev, MKDEV(MAJOR(kfkv_devt), d->minor), 1);
	if (ret) {
		kobject_put(&d->cdev->kobj);
		goto erase;
	}
	return 0;

erase:
	d->cdev = NULL;
	xa_erase(&kfkv_minors, d->minor);
	return ret;
}

static void kfkv_dev_cdev_del(struct kfkv_dev *d)
{
	/* No new open finds it; those that did hold their reference. */
	xa_erase(&kfkv_minors, d->minor);
	cdev_del(d->cdev);
	d->cdev = NULL;
}

/**
 * kfkv_dev_enable() - connect to the store and make its device
 * @d: the device, its @lock held
 *
 * Return: 0 or a negative errno (as kfkv_open(); -ENOSPC: no minor left).
 */
int kfkv_dev_enable(struct kfkv_dev *d)
{
	struct kfkv_open_attr a = {
		.addr = d->addr, .port = d->port, .store = d->store,
		.depth = d->depth, .timeout_ms = d->timeout_ms,
		.max_value = d->max_value,
		.secret = d->secret, .secret_len = d->secret_len,
	};
	struct kfkv_handle *h;
	int ret;

	lockdep_assert_held(&d->lock);
	ret = kfkv_open(&a, &h);
	if (ret)
		return ret;
	down_write(&d->io_lock);
	d->h = h;
	d->gen++;
	up_write(&d->io_lock);
	ret = kfkv_dev_cdev_add(d);
	if (ret)
		goto close;
	ret = kfkv_node_add(d);
	if (ret)
		goto cdev_del;
	d->enabled = true;
	return 0;

cdev_del:
	kfkv_dev_cdev_del(d);
close:
	down_write(&d->io_lock);
	d->h = NULL;
	up_write(&d->io_lock);
	kfkv_close(h);
	return ret;
}

/**
 * kfkv_dev_disable() - remove the device and disconnect
 * @d: the device, its @lock held
 *
 * Operations in flight, ioctls and io_uring commands alike, complete
 * with -ECONNRESET before it returns; descriptors still open get -ENODEV
 * from then on.
 */
void kfkv_dev_disable(struct kfkv_dev *d)
{
	struct kfkv_handle *h;

	lockdep_assert_held(&d->lock);
	if (!d->enabled)
		return;
	kfkv_node_del(d);
	kfkv_dev_cdev_del(d);
	down_write(&d->io_lock);
	h = d->h;
	d->h = NULL;
	up_write(&d->io_lock);
	kfkv_close(h);
	d->enabled = false;
}

int kfkv_dev_init(void)
{
	int ret;

	/* The UAPI's constants are the kernel API's. */
	BUILD_BUG_ON((int)KFKV_UAPI_KEY_MAX != (int)KFKV_KEY_BYTES ||
		     (int)KFKV_UAPI_LIST_BUF != (int)KFKV_LIST_BYTES ||
		     (int)KFKV_UAPI_LIST_MAX != (int)KFKV_LIST_MAX);
	BUILD_BUG_ON((int)KFKV_FL_IF_ABSENT != (int)KFKV_IF_ABSENT ||
		     (int)KFKV_FL_IF_VERSION != (int)KFKV_IF_VERSION ||
		     (int)KFKV_FL_DURABLE != (int)KFKV_DURABLE ||
		     (int)KFKV_FL_RANGE != (int)KFKV_RANGE);
	ret = alloc_chrdev_region(&kfkv_devt, 0, KFKV_MINORS, "kfkv");
	if (ret)
		return ret;
	ret = class_register(&kfkv_class);
	if (ret)
		goto unregister_region;
	ret = kfkv_dev_cfs_init();
	if (ret)
		goto unregister_class;
	return 0;

unregister_class:
	class_unregister(&kfkv_class);
unregister_region:
	unregister_chrdev_region(kfkv_devt, KFKV_MINORS);
	return ret;
}

void kfkv_dev_exit(void)
{
	kfkv_dev_cfs_exit();
	WARN_ON(!xa_empty(&kfkv_minors));
	class_unregister(&kfkv_class);
	unregister_chrdev_region(kfkv_devt, KFKV_MINORS);
}
