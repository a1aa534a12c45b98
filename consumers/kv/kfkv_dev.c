// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv character devices: /dev/kfkv/<name> for each store attached
 * through configfs, with the synchronous ioctls of
 * include/uapi/kfabric/kfkv.h.
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

/* One operation and the caller waiting for it. */
struct kfkv_dev_op {
	struct kfkv_op op;
	struct completion done;
};

/* A user buffer pinned for one operation, as the client takes pages. */
struct kfkv_ubuf {
	struct page **pages;
	struct bio_vec *bv;
	u32 nr;
	bool dirty;
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

/* ---- Running an operation ---------------------------------------------- */

static void kfkv_dev_op_done(struct kfkv_op *op)
{
	complete(&container_of(op, struct kfkv_dev_op, op)->done);
}

/*
 * The device's handle, with io_lock held for reading, or an error when
 * the device was disabled since the descriptor was opened.
 */
static struct kfkv_handle *kfkv_file_handle(struct kfkv_file *f)
{
	struct kfkv_dev *d = f->d;

	down_read(&d->io_lock);
	if (d->h && d->gen == f->gen)
		return d->h;
	up_read(&d->io_lock);
	return ERR_PTR(-ENODEV);
}

/*
 * Submit and wait.  The wait cannot be interrupted: the caller's pages
 * stay pinned until the operation is over, which the handle's watchdog
 * bounds (an answer later than its timeout fails the handle).
 */
static int kfkv_dev_run(struct kfkv_handle *h, struct kfkv_dev_op *o)
{
	int ret;

	init_completion(&o->done);
	o->op.done = kfkv_dev_op_done;
	ret = kfkv_submit_wait(h, &o->op);
	if (ret)
		return ret;
	wait_for_completion(&o->done);
	return o->op.result;
}

/* The largest value this device moves: the store's and the handle's. */
static u64 kfkv_dev_max(struct kfkv_dev *d, struct kfkv_handle *h)
{
	return min(kfkv_max_value(h), READ_ONCE(d->max_value));
}

static void kfkv_ubuf_release(struct kfkv_ubuf *b)
{
	if (b->nr)
		unpin_user_pages_dirty_lock(b->pages, b->nr, b->dirty);
	kvfree(b->pages);
	kvfree(b->bv);
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

/* ---- The ioctls --------------------------------------------------------- */

/*
 * What PUT and GET share: the key in, the handle, the caller's pages
 * pinned (a PUT's value over the largest is -EFBIG; a GET pins no more
 * than the largest object can fill), the operation run, the pages let go.
 */
static int kfkv_ioc_value(struct kfkv_file *f, struct kfkv_dev_op *o,
			  u64 key_uaddr, u64 uaddr, u64 len)
{
	bool get = o->op.type == KFKV_GET;
	struct kfkv_ubuf b = {};
	struct kfkv_handle *h;
	u8 key[KFKV_UAPI_KEY_MAX];
	int ret;

	ret = kfkv_key_in(key, key_uaddr, o->op.key_len, 1);
	if (ret)
		return ret;
	h = kfkv_file_handle(f);
	if (IS_ERR(h))
		return PTR_ERR(h);
	if (get) {
		len = min(len, kfkv_dev_max(f->d, h));
	} else if (len > kfkv_dev_max(f->d, h)) {
		ret = -EFBIG;
		goto unlock;
	}
	ret = kfkv_ubuf_pin(&b, uaddr, len, get);
	if (!ret) {
		o->op.key = key;
		o->op.bvec = b.bv;
		o->op.nr_bvec = b.nr;
		o->op.len = len;
		ret = kfkv_dev_run(h, o);
	}
	kfkv_ubuf_release(&b);
unlock:
	up_read(&f->d->io_lock);
	return ret;
}

/* What DEL and STAT share: the key in, the handle, the operation run. */
static int kfkv_ioc_key(struct kfkv_file *f, struct kfkv_dev_op *o,
			u64 key_uaddr)
{
	struct kfkv_handle *h;
	u8 key[KFKV_UAPI_KEY_MAX];
	int ret;

	ret = kfkv_key_in(key, key_uaddr, o->op.key_len, 1);
	if (ret)
		return ret;
	h = kfkv_file_handle(f);
	if (IS_ERR(h))
		return PTR_ERR(h);
	o->op.key = key;
	ret = kfkv_dev_run(h, o);
	up_read(&f->d->io_lock);
	return ret;
}

static long kfkv_ioc_put(struct kfkv_file *f, struct kfkv_ioc_put __user *up)
{
	struct kfkv_dev_op o = { .op.type = KFKV_PUT };
	struct kfkv_ioc_put p;
	int ret;

	if (copy_from_user(&p, up, sizeof(p)))
		return -EFAULT;
	if (p.reserved || p.flags & ~(KFKV_FL_IF_ABSENT | KFKV_FL_IF_VERSION |
				      KFKV_FL_DURABLE) ||
	    (p.flags & KFKV_FL_IF_ABSENT && p.flags & KFKV_FL_IF_VERSION))
		return -EINVAL;
	o.op.flags = p.flags;
	o.op.key_len = p.key_len;
	o.op.version = p.version;
	ret = kfkv_ioc_value(f, &o, p.key, p.value, p.value_len);
	if ((!ret || ret == -EEXIST || ret == -ESTALE) &&
	    put_user(o.op.obj_version, &up->version))
		ret = -EFAULT;
	return ret;
}

static long kfkv_ioc_get(struct kfkv_file *f, struct kfkv_ioc_get __user *up)
{
	struct kfkv_dev_op o = { .op.type = KFKV_GET };
	struct kfkv_ioc_get p;
	int ret;

	if (copy_from_user(&p, up, sizeof(p)))
		return -EFAULT;
	if (p.reserved || p.flags & ~KFKV_FL_RANGE ||
	    (!(p.flags & KFKV_FL_RANGE) && p.offset))
		return -EINVAL;
	o.op.flags = p.flags;
	o.op.key_len = p.key_len;
	o.op.offset = p.offset;
	ret = kfkv_ioc_value(f, &o, p.key, p.buf, p.buf_len);
	if ((!ret || ret == -EOVERFLOW) &&
	    (put_user(o.op.size, &up->size) ||
	     put_user(o.op.obj_version, &up->version) ||
	     put_user(o.op.xfer, &up->xfer)))
		ret = -EFAULT;
	return ret;
}

static long kfkv_ioc_del(struct kfkv_file *f, struct kfkv_ioc_del __user *up)
{
	struct kfkv_dev_op o = { .op.type = KFKV_DELETE };
	struct kfkv_ioc_del p;

	if (copy_from_user(&p, up, sizeof(p)))
		return -EFAULT;
	if (p.reserved || p.flags & ~KFKV_FL_IF_VERSION)
		return -EINVAL;
	o.op.flags = p.flags;
	o.op.key_len = p.key_len;
	o.op.version = p.version;
	return kfkv_ioc_key(f, &o, p.key);
}

static long kfkv_ioc_stat(struct kfkv_file *f, struct kfkv_ioc_stat __user *up)
{
	struct kfkv_dev_op o = { .op.type = KFKV_STAT };
	struct kfkv_ioc_stat p;
	int ret;

	if (copy_from_user(&p, up, sizeof(p)))
		return -EFAULT;
	if (p.reserved || p.flags)
		return -EINVAL;
	o.op.key_len = p.key_len;
	ret = kfkv_ioc_key(f, &o, p.key);
	if (!ret && (put_user(o.op.size, &up->size) ||
		     put_user(o.op.obj_version, &up->version)))
		ret = -EFAULT;
	return ret;
}

/* A LIST's prefix and cookie, and the kernel buffer its answer lands in. */
struct kfkv_list_args {
	u8 prefix[KFKV_UAPI_KEY_MAX];
	u8 cookie[KFKV_UAPI_KEY_MAX];
	u8 keys[KFKV_LIST_BYTES];
};

static int kfkv_list_out(struct kfkv_ioc_list __user *up,
			 const struct kfkv_ioc_list *p,
			 const struct kfkv_list_args *a, const struct kfkv_op *op)
{
	if (copy_to_user(u64_to_user_ptr(p->buf), a->keys, op->xfer) ||
	    put_user((u32)op->size, &up->nr_keys) ||
	    put_user((u32)op->xfer, &up->used) ||
	    put_user((u32)op->more, &up->more))
		return -EFAULT;
	return 0;
}

static long kfkv_ioc_list(struct kfkv_file *f, struct kfkv_ioc_list __user *up)
{
	struct kfkv_dev_op o = { .op.type = KFKV_LIST };
	struct kfkv_list_args *a;
	struct kfkv_ioc_list p;
	struct kfkv_handle *h;
	int ret;

	if (copy_from_user(&p, up, sizeof(p)))
		return -EFAULT;
	if (p.reserved || p.flags || p.buf_len < KFKV_UAPI_LIST_BUF ||
	    !p.max_keys || p.max_keys > KFKV_UAPI_LIST_MAX)
		return -EINVAL;
	a = kmalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	ret = kfkv_key_in(a->prefix, p.prefix, p.prefix_len, 0) ?:
	      kfkv_key_in(a->cookie, p.cookie, p.cookie_len, 0);
	if (ret)
		goto free;
	h = kfkv_file_handle(f);
	if (IS_ERR(h)) {
		ret = PTR_ERR(h);
		goto free;
	}
	o.op.key = a->prefix;
	o.op.key_len = p.prefix_len;
	o.op.cookie = p.cookie_len ? a->cookie : NULL;
	o.op.cookie_len = p.cookie_len;
	o.op.keys = a->keys;
	o.op.len = sizeof(a->keys);
	o.op.max_keys = p.max_keys;
	ret = kfkv_dev_run(h, &o);
	up_read(&f->d->io_lock);
	if (!ret)
		ret = kfkv_list_out(up, &p, a, &o.op);
free:
	kfree(a);
	return ret;
}

static long kfkv_ioc_info(struct kfkv_file *f, struct kfkv_ioc_info __user *up)
{
	struct kfkv_ioc_info p = {};
	struct kfkv_handle *h;

	h = kfkv_file_handle(f);
	if (IS_ERR(h))
		return PTR_ERR(h);
	p.max_value = kfkv_dev_max(f->d, h);
	p.depth = kfkv_depth(h);
	up_read(&f->d->io_lock);
	return copy_to_user(up, &p, sizeof(p)) ? -EFAULT : 0;
}

/* The access each command needs. */
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

static long kfkv_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct kfkv_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	int mask = kfkv_ioc_mask(cmd);
	int ret;

	if (!mask)
		return -ENOTTY;
	ret = kfkv_file_may(file, mask);
	if (ret)
		return ret;
	switch (cmd) {
	case KFKV_IOC_PUT:
		return kfkv_ioc_put(f, uarg);
	case KFKV_IOC_GET:
		return kfkv_ioc_get(f, uarg);
	case KFKV_IOC_DEL:
		return kfkv_ioc_del(f, uarg);
	case KFKV_IOC_STAT:
		return kfkv_ioc_stat(f, uarg);
	case KFKV_IOC_LIST:
		return kfkv_ioc_list(f, uarg);
	default:
		return kfkv_ioc_info(f, uarg);
	}
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
 * Waits for the operations in progress (bounded by the handle's timeout);
 * descriptors still open get -ENODEV from then on.
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
