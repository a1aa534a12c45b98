// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv client configfs: a directory per store attached for user space,
 *
 *   mkdir /sys/kernel/config/kfkv/<name>
 *   echo 192.0.2.1 > <name>/addr; echo 4792 > <name>/port
 *   echo objects > <name>/store          (default: <name>)
 *   echo 1000 > <name>/uid; echo 1000 > <name>/gid; echo 0660 > <name>/mode
 *   cat key > <name>/secret              (the store's; write-only)
 *   echo 1 > <name>/enable               (then /dev/kfkv/<name> exists)
 *
 * Creating a directory and writing any attribute need CAP_SYS_ADMIN
 * (-EPERM), whoever owns the files.  The connection's attributes change
 * only while disabled (-EBUSY); owner, group and mode at any time, and
 * take effect on the next operation of every descriptor already open.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/inet.h>
#include <linux/kstrtox.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "kfkv_auth.h"
#include "kfkv_client.h"
#include "kfkv_dev.h"

#define KFKV_DEV_MAX_VALUE	(16ULL << 20)

static struct kfkv_dev *to_dev(struct config_item *item)
{
	return container_of(to_config_group(item), struct kfkv_dev, group);
}

/*
 * Lock @d for changing @attr: the writer needs CAP_SYS_ADMIN, and with
 * @idle the device must be disabled.  Return: 0 with @d->lock held.
 */
static int kfkv_cfs_lock(struct kfkv_dev *d, const char *attr, bool idle)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&d->lock);
	if (idle && d->enabled) {
		mutex_unlock(&d->lock);
		pr_err("%s: %s: disable the device first\n", d->name, attr);
		return -EBUSY;
	}
	return 0;
}

static ssize_t kfkv_cfs_str(struct kfkv_dev *d, const char *attr, char *dst,
			    size_t size, const char *page, size_t count,
			    bool valid)
{
	size_t len = strcspn(page, "\n");
	int ret;

	if (!valid || !len || len >= size) {
		pr_err("%s: %s: '%.*s' is not valid\n", d->name, attr,
		       (int)min_t(size_t, len, 64), page);
		return -EINVAL;
	}
	ret = kfkv_cfs_lock(d, attr, true);
	if (ret)
		return ret;
	memcpy(dst, page, len);
	dst[len] = '\0';
	mutex_unlock(&d->lock);
	return count;
}

static ssize_t kfkv_dev_addr_show(struct config_item *item, char *page)
{
	struct kfkv_dev *d = to_dev(item);
	ssize_t n;

	mutex_lock(&d->lock);
	n = sysfs_emit(page, "%s\n", d->addr);
	mutex_unlock(&d->lock);
	return n;
}

static ssize_t kfkv_dev_addr_store(struct config_item *item,
				   const char *page, size_t count)
{
	struct kfkv_dev *d = to_dev(item);
	size_t len = strcspn(page, "\n");
	u8 buf[16];
	bool ok = len < KFKV_DEV_ADDR_LEN &&
		  (in4_pton(page, len, buf, -1, NULL) ||
		   in6_pton(page, len, buf, -1, NULL));

	return kfkv_cfs_str(d, "addr", d->addr, sizeof(d->addr), page, count,
			    ok);
}

static ssize_t kfkv_dev_store_show(struct config_item *item, char *page)
{
	struct kfkv_dev *d = to_dev(item);
	ssize_t n;

	mutex_lock(&d->lock);
	n = sysfs_emit(page, "%s\n", d->store);
	mutex_unlock(&d->lock);
	return n;
}

static ssize_t kfkv_dev_store_store(struct config_item *item,
				    const char *page, size_t count)
{
	struct kfkv_dev *d = to_dev(item);
	char name[KFKV_STORE_NAME_LEN] = "";
	size_t len = strcspn(page, "\n");

	if (len < sizeof(name))
		memcpy(name, page, len);
	return kfkv_cfs_str(d, "store", d->store, sizeof(d->store), page,
			    count, kfkv_store_name_valid(name, len + 1) >= 0);
}

/* The numbers: an offset into struct kfkv_dev and a range. */
struct kfkv_cfs_num {
	const char *name;
	size_t off;
	unsigned int size;
	u64 min;
	u64 max;
	u64 unit;
};

enum {
	KFKV_NUM_port,
	KFKV_NUM_depth,
	KFKV_NUM_timeout_ms,
	KFKV_NUM_max_value_kb,
};

static const struct kfkv_cfs_num kfkv_nums[] = {
	[KFKV_NUM_port] = { "port", offsetof(struct kfkv_dev, port),
			    sizeof(u16), 1, 65535, 1 },
	[KFKV_NUM_depth] = { "depth", offsetof(struct kfkv_dev, depth),
			     sizeof(u32), 1, KFKV_MAX_DEPTH, 1 },
	[KFKV_NUM_timeout_ms] = { "timeout_ms",
				  offsetof(struct kfkv_dev, timeout_ms),
				  sizeof(u32), 100, 3600000, 1 },
	[KFKV_NUM_max_value_kb] = { "max_value_kb",
				    offsetof(struct kfkv_dev, max_value),
				    sizeof(u64), 4, KFKV_VALUE_MAX >> 10,
				    1024 },
};

static u64 kfkv_num_get(struct kfkv_dev *d, const struct kfkv_cfs_num *n)
{
	void *p = (char *)d + n->off;

	switch (n->size) {
	case sizeof(u16):
		return *(u16 *)p;
	case sizeof(u32):
		return *(u32 *)p;
	default:
		return *(u64 *)p;
	}
}

static void kfkv_num_set(struct kfkv_dev *d, const struct kfkv_cfs_num *n,
			 u64 v)
{
	void *p = (char *)d + n->off;

	switch (n->size) {
	case sizeof(u16):
		*(u16 *)p = v;
		break;
	case sizeof(u32):
		*(u32 *)p = v;
		break;
	default:
		*(u64 *)p = v;
	}
}

static ssize_t kfkv_num_show(struct config_item *item, char *page, int i)
{
	struct kfkv_dev *d = to_dev(item);
	const struct kfkv_cfs_num *n = &kfkv_nums[i];
	u64 v;

	mutex_lock(&d->lock);
	v = kfkv_num_get(d, n) / n->unit;
	mutex_unlock(&d->lock);
	return sysfs_emit(page, "%llu\n", v);
}

static ssize_t kfkv_num_store(struct config_item *item, const char *page,
			      size_t count, int i)
{
	struct kfkv_dev *d = to_dev(item);
	const struct kfkv_cfs_num *n = &kfkv_nums[i];
	u64 v;
	int ret;

	if (kstrtou64(page, 0, &v) || v < n->min || v > n->max) {
		pr_err("%s: %s: need %llu-%llu\n", d->name, n->name, n->min,
		       n->max);
		return -EINVAL;
	}
	ret = kfkv_cfs_lock(d, n->name, true);
	if (ret)
		return ret;
	kfkv_num_set(d, n, v * n->unit);
	mutex_unlock(&d->lock);
	return count;
}

#define KFKV_NUM_ATTR(name)						\
static ssize_t kfkv_dev_##name##_show(struct config_item *item,	\
				      char *page)			\
{									\
	return kfkv_num_show(item, page, KFKV_NUM_##name);		\
}									\
static ssize_t kfkv_dev_##name##_store(struct config_item *item,	\
				       const char *page, size_t count)	\
{									\
	return kfkv_num_store(item, page, count, KFKV_NUM_##name);	\
}									\
CONFIGFS_ATTR(kfkv_dev_, name)

KFKV_NUM_ATTR(port);
KFKV_NUM_ATTR(depth);
KFKV_NUM_ATTR(timeout_ms);
KFKV_NUM_ATTR(max_value_kb);

/*
 * The store's shared secret, for the AUTH exchange when enabling.
 * Write-only, as on the target: it never leaves the kernel but as proofs.
 */
static ssize_t kfkv_dev_secret_store(struct config_item *item,
				     const char *page, size_t count)
{
	struct kfkv_dev *d = to_dev(item);
	int len = kfkv_secret_parse(d->name, page, count);
	int ret;

	if (len < 0)
		return len;
	ret = kfkv_cfs_lock(d, "secret", true);
	if (ret)
		return ret;
	kfkv_secret_set(d->secret, &d->secret_len, page, len);
	mutex_unlock(&d->lock);
	return count;
}

CONFIGFS_ATTR_WO(kfkv_dev_, secret);

/* ---- Protection: uid, gid, mode ------------------------------------------ */

/*
 * Change what the device's protection is made of and, while enabled,
 * its node; every operation reads them under perm_lock.
 */
static ssize_t kfkv_perm_store(struct kfkv_dev *d, const char *attr,
			       const kuid_t *uid, const kgid_t *gid,
			       const umode_t *mode, size_t count)
{
	int ret;

	ret = kfkv_cfs_lock(d, attr, false);
	if (ret)
		return ret;
	spin_lock(&d->perm_lock);
	if (uid)
		d->uid = *uid;
	if (gid)
		d->gid = *gid;
	if (mode)
		d->mode = *mode;
	spin_unlock(&d->perm_lock);
	ret = kfkv_dev_node_refresh(d);
	mutex_unlock(&d->lock);
	return ret ?: count;
}

static ssize_t kfkv_dev_uid_show(struct config_item *item, char *page)
{
	struct kfkv_dev *d = to_dev(item);
	kuid_t uid;

	spin_lock(&d->perm_lock);
	uid = d->uid;
	spin_unlock(&d->perm_lock);
	return sysfs_emit(page, "%u\n", from_kuid_munged(current_user_ns(), uid));
}

static ssize_t kfkv_dev_uid_store(struct config_item *item, const char *page,
				  size_t count)
{
	struct kfkv_dev *d = to_dev(item);
	kuid_t uid;
	u32 v;

	if (kstrtou32(page, 0, &v))
		return -EINVAL;
	uid = make_kuid(current_user_ns(), v);
	if (!uid_valid(uid))
		return -EINVAL;
	return kfkv_perm_store(d, "uid", &uid, NULL, NULL, count);
}

static ssize_t kfkv_dev_gid_show(struct config_item *item, char *page)
{
	struct kfkv_dev *d = to_dev(item);
	kgid_t gid;

	spin_lock(&d->perm_lock);
	gid = d->gid;
	spin_unlock(&d->perm_lock);
	return sysfs_emit(page, "%u\n", from_kgid_munged(current_user_ns(), gid));
}

static ssize_t kfkv_dev_gid_store(struct config_item *item, const char *page,
				  size_t count)
{
	struct kfkv_dev *d = to_dev(item);
	kgid_t gid;
	u32 v;

	if (kstrtou32(page, 0, &v))
		return -EINVAL;
	gid = make_kgid(current_user_ns(), v);
	if (!gid_valid(gid))
		return -EINVAL;
	return kfkv_perm_store(d, "gid", NULL, &gid, NULL, count);
}

static ssize_t kfkv_dev_mode_show(struct config_item *item, char *page)
{
	struct kfkv_dev *d = to_dev(item);
	umode_t mode;

	spin_lock(&d->perm_lock);
	mode = d->mode;
	spin_unlock(&d->perm_lock);
	return sysfs_emit(page, "%04o\n", mode);
}

/* Octal permission bits; only read and write mean anything here. */
static ssize_t kfkv_dev_mode_store(struct config_item *item, const char *page,
				   size_t count)
{
	struct kfkv_dev *d = to_dev(item);
	umode_t mode;
	u16 v;

	if (kstrtou16(page, 8, &v) || v & ~0666) {
		pr_err("%s: mode: need octal bits of 0666\n", d->name);
		return -EINVAL;
	}
	mode = v;
	return kfkv_perm_store(d, "mode", NULL, NULL, &mode, count);
}

/* ---- enable and dev ------------------------------------------------------ */

static ssize_t kfkv_dev_enable_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n", READ_ONCE(to_dev(item)->enabled));
}

static ssize_t kfkv_dev_enable_store(struct config_item *item,
				     const char *page, size_t count)
{
	struct kfkv_dev *d = to_dev(item);
	bool on;
	int ret;

	if (kstrtobool(page, &on))
		return -EINVAL;
	ret = kfkv_cfs_lock(d, "enable", false);
	if (ret)
		return ret;
	if (on && !d->enabled) {
		if (!d->addr[0] || !d->port) {
			pr_err("%s: set addr and port first\n", d->name);
			ret = -EINVAL;
		} else {
			ret = kfkv_dev_enable(d);
		}
	} else if (!on) {
		kfkv_dev_disable(d);
	}
	mutex_unlock(&d->lock);
	return ret ?: count;
}

/* The device number while enabled, major:minor; empty otherwise. */
static ssize_t kfkv_dev_dev_show(struct config_item *item, char *page)
{
	struct kfkv_dev *d = to_dev(item);
	ssize_t n = 0;

	mutex_lock(&d->lock);
	if (d->node)
		n = sysfs_emit(page, "%u:%u\n", MAJOR(d->node->devt),
			       MINOR(d->node->devt));
	mutex_unlock(&d->lock);
	return n;
}

CONFIGFS_ATTR(kfkv_dev_, addr);
CONFIGFS_ATTR(kfkv_dev_, store);
CONFIGFS_ATTR(kfkv_dev_, uid);
CONFIGFS_ATTR(kfkv_dev_, gid);
CONFIGFS_ATTR(kfkv_dev_, mode);
CONFIGFS_ATTR(kfkv_dev_, enable);
CONFIGFS_ATTR_RO(kfkv_dev_, dev);

static struct configfs_attribute *kfkv_dev_attrs[] = {
	&kfkv_dev_attr_addr,
	&kfkv_dev_attr_port,
	&kfkv_dev_attr_store,
	&kfkv_dev_attr_depth,
	&kfkv_dev_attr_timeout_ms,
	&kfkv_dev_attr_max_value_kb,
	&kfkv_dev_attr_secret,
	&kfkv_dev_attr_uid,
	&kfkv_dev_attr_gid,
	&kfkv_dev_attr_mode,
	&kfkv_dev_attr_enable,
	&kfkv_dev_attr_dev,
	NULL,
};

static void kfkv_dev_release(struct config_item *item)
{
	kfree_sensitive(to_dev(item));
}

static struct configfs_item_operations kfkv_dev_item_ops = {
	.release = kfkv_dev_release,
};

static const struct config_item_type kfkv_dev_type = {
	.ct_item_ops = &kfkv_dev_item_ops,
	.ct_attrs = kfkv_dev_attrs,
	.ct_owner = THIS_MODULE,
};

static struct config_group *kfkv_dev_make(struct config_group *group,
					  const char *name)
{
	struct kfkv_dev *d;

	if (!capable(CAP_SYS_ADMIN))
		return ERR_PTR(-EPERM);
	if (kfkv_store_name_valid(name, strlen(name) + 1) < 0) {
		pr_err("device name '%s': need 1-%d of [A-Za-z0-9._-], no leading dot\n",
		       name, KFKV_STORE_NAME_LEN - 1);
		return ERR_PTR(-EINVAL);
	}
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	mutex_init(&d->lock);
	spin_lock_init(&d->perm_lock);
	init_rwsem(&d->io_lock);
	strscpy(d->name, name, sizeof(d->name));
	strscpy(d->store, name, sizeof(d->store));
	d->depth = 16;
	d->timeout_ms = 30000;
	d->max_value = KFKV_DEV_MAX_VALUE;
	d->uid = GLOBAL_ROOT_UID;
	d->gid = GLOBAL_ROOT_GID;
	d->mode = 0600;
	config_group_init_type_name(&d->group, name, &kfkv_dev_type);
	return &d->group;
}

static void kfkv_dev_drop(struct config_group *group,
			  struct config_item *item)
{
	struct kfkv_dev *d = to_dev(item);

	mutex_lock(&d->lock);
	kfkv_dev_disable(d);
	mutex_unlock(&d->lock);
	config_item_put(item);
}

static struct configfs_group_operations kfkv_root_group_ops = {
	.make_group = kfkv_dev_make,
	.drop_item = kfkv_dev_drop,
};

static const struct config_item_type kfkv_root_type = {
	.ct_group_ops = &kfkv_root_group_ops,
	.ct_owner = THIS_MODULE,
};

static struct configfs_subsystem kfkv_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf = "kfkv",
			.ci_type = &kfkv_root_type,
		},
	},
};

int kfkv_dev_cfs_init(void)
{
	config_group_init(&kfkv_subsys.su_group);
	mutex_init(&kfkv_subsys.su_mutex);
	return configfs_register_subsystem(&kfkv_subsys);
}

void kfkv_dev_cfs_exit(void)
{
	configfs_unregister_subsystem(&kfkv_subsys);
}
