// SPDX-License-Identifier: GPL-2.0
/*
 * kfblk client: the configfs control interface.
 *
 *   mkdir /sys/kernel/config/kfblk/<name>
 *   echo 192.0.2.1 > <name>/addr
 *   echo 4791      > <name>/port
 *   echo disk0     > <name>/export
 *   echo 1         > <name>/enable    (connects; <name>/device tells kfblkN)
 *   echo 0         > <name>/enable    (or rmdir: removes the disk)
 *
 * Read-only: device (kfblkN or empty), state (unmapped, connecting, live,
 * failed).  Bad input is refused with -EINVAL and a kernel log message and
 * changes nothing; attributes cannot change while mapped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <linux/slab.h>
#include "kfblk_client.h"

/**
 * struct kfblk_map - one configfs directory
 * @group: the directory
 * @lock: guards @params and @dev against concurrent attribute writes;
 *	held across connecting and unmapping, which may sleep
 * @params: what to map
 * @dev: the mapped device, or NULL
 */
struct kfblk_map {
	struct config_group group;
	/* @params and @dev; held across map and unmap, which sleep */
	struct mutex lock;
	struct kfblk_map_params params;
	struct kfblk_dev *dev;
};

static struct kfblk_map *to_map(struct config_item *item)
{
	return container_of(to_config_group(item), struct kfblk_map, group);
}

/* Take the lock and refuse changes while mapped. */
static int kfblk_map_lock_idle(struct kfblk_map *map, const char *attr)
{
	mutex_lock(&map->lock);
	if (map->dev) {
		mutex_unlock(&map->lock);
		pr_err("%s: %s cannot change while mapped\n",
		       config_item_name(&map->group.cg_item), attr);
		return -EBUSY;
	}
	return 0;
}

static ssize_t kfblk_map_addr_show(struct config_item *item, char *page)
{
	struct kfblk_map *map = to_map(item);
	ssize_t n;

	mutex_lock(&map->lock);
	n = sysfs_emit(page, "%s\n", map->params.addr);
	mutex_unlock(&map->lock);
	return n;
}

/**
 * kfblk_addr_valid() - an IPv4 or IPv6 address, nothing else
 * @s: the text (need not be terminated)
 * @len: its length
 *
 * No names and no port: what configfs and sysfs take as an address.
 */
bool kfblk_addr_valid(const char *s, size_t len)
{
	u8 buf[16];

	return len && len < KFBLK_ADDR_MAX &&
	       (in4_pton(s, len, buf, -1, NULL) ||
		in6_pton(s, len, buf, -1, NULL));
}

static ssize_t kfblk_map_addr_store(struct config_item *item,
				    const char *page, size_t count)
{
	struct kfblk_map *map = to_map(item);
	size_t len = strcspn(page, "\n");
	int ret;

	if (!kfblk_addr_valid(page, len)) {
		pr_err("addr: '%.*s' is not an IPv4 or IPv6 address\n",
		       (int)min_t(size_t, len, KFBLK_ADDR_MAX), page);
		return -EINVAL;
	}
	ret = kfblk_map_lock_idle(map, "addr");
	if (ret)
		return ret;
	memcpy(map->params.addr, page, len);
	map->params.addr[len] = '\0';
	mutex_unlock(&map->lock);
	return count;
}

static ssize_t kfblk_map_port_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n", READ_ONCE(to_map(item)->params.port));
}

static ssize_t kfblk_map_port_store(struct config_item *item,
				    const char *page, size_t count)
{
	struct kfblk_map *map = to_map(item);
	u16 port;
	int ret;

	if (kstrtou16(page, 0, &port) || !port) {
		pr_err("port: need 1-65535\n");
		return -EINVAL;
	}
	ret = kfblk_map_lock_idle(map, "port");
	if (ret)
		return ret;
	map->params.port = port;
	mutex_unlock(&map->lock);
	return count;
}

static ssize_t kfblk_map_export_show(struct config_item *item, char *page)
{
	struct kfblk_map *map = to_map(item);
	ssize_t n;

	mutex_lock(&map->lock);
	n = sysfs_emit(page, "%s\n", map->params.export);
	mutex_unlock(&map->lock);
	return n;
}

static ssize_t kfblk_map_export_store(struct config_item *item,
				      const char *page, size_t count)
{
	struct kfblk_map *map = to_map(item);
	char name[KFBLK_EXPORT_NAME_LEN] = "";
	size_t len = strcspn(page, "\n");
	int ret;

	if (len < sizeof(name))
		memcpy(name, page, len);
	if (len >= sizeof(name) ||
	    kfblk_export_name_valid(name, sizeof(name)) < 0) {
		pr_err("export: need 1-%d of [A-Za-z0-9._-]\n",
		       KFBLK_EXPORT_NAME_LEN - 1);
		return -EINVAL;
	}
	ret = kfblk_map_lock_idle(map, "export");
	if (ret)
		return ret;
	memcpy(map->params.export, name, sizeof(name));
	mutex_unlock(&map->lock);
	return count;
}

static ssize_t kfblk_map_enable_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n", !!READ_ONCE(to_map(item)->dev));
}

static int kfblk_map_set(struct kfblk_map *map, bool on)
{
	const struct kfblk_map_params *p = &map->params;
	struct kfblk_dev *dev;
	int ret = 0;

	mutex_lock(&map->lock);
	if (on == !!map->dev)
		goto unlock;
	if (!on) {
		kfblk_dev_destroy(map->dev);
		WRITE_ONCE(map->dev, NULL);
		goto unlock;
	}
	if (!p->addr[0] || !p->port || !p->export[0]) {
		pr_err("%s: set addr, port and export first\n",
		       config_item_name(&map->group.cg_item));
		ret = -EINVAL;
		goto unlock;
	}
	dev = kfblk_dev_create(p);
	if (IS_ERR(dev))
		ret = PTR_ERR(dev);
	else
		WRITE_ONCE(map->dev, dev);
unlock:
	mutex_unlock(&map->lock);
	return ret;
}

static ssize_t kfblk_map_enable_store(struct config_item *item,
				      const char *page, size_t count)
{
	bool on;
	int ret;

	if (kstrtobool(page, &on)) {
		pr_err("enable: need 0 or 1\n");
		return -EINVAL;
	}
	ret = kfblk_map_set(to_map(item), on);
	return ret ? ret : count;
}

static ssize_t kfblk_map_device_show(struct config_item *item, char *page)
{
	struct kfblk_map *map = to_map(item);
	ssize_t n;

	mutex_lock(&map->lock);
	n = map->dev ? sysfs_emit(page, "kfblk%d\n", map->dev->index) :
		       sysfs_emit(page, "\n");
	mutex_unlock(&map->lock);
	return n;
}

static ssize_t kfblk_map_state_show(struct config_item *item, char *page)
{
	struct kfblk_map *map = to_map(item);
	ssize_t n;

	mutex_lock(&map->lock);
	n = sysfs_emit(page, "%s\n", map->dev ? kfblk_dev_state_str(map->dev) :
						"unmapped");
	mutex_unlock(&map->lock);
	return n;
}

CONFIGFS_ATTR(kfblk_map_, addr);
CONFIGFS_ATTR(kfblk_map_, port);
CONFIGFS_ATTR(kfblk_map_, export);
CONFIGFS_ATTR(kfblk_map_, enable);
CONFIGFS_ATTR_RO(kfblk_map_, device);
CONFIGFS_ATTR_RO(kfblk_map_, state);

static struct configfs_attribute *kfblk_map_attrs[] = {
	&kfblk_map_attr_addr,
	&kfblk_map_attr_port,
	&kfblk_map_attr_export,
	&kfblk_map_attr_enable,
	&kfblk_map_attr_device,
	&kfblk_map_attr_state,
	NULL,
};

static void kfblk_map_release(struct config_item *item)
{
	kfree(to_map(item));
}

static struct configfs_item_operations kfblk_map_item_ops = {
	.release = kfblk_map_release,
};

static const struct config_item_type kfblk_map_type = {
	.ct_item_ops = &kfblk_map_item_ops,
	.ct_attrs = kfblk_map_attrs,
	.ct_owner = THIS_MODULE,
};

static struct config_group *kfblk_map_make(struct config_group *group,
					   const char *name)
{
	struct kfblk_map *map = kzalloc(sizeof(*map), GFP_KERNEL);

	if (!map)
		return ERR_PTR(-ENOMEM);
	mutex_init(&map->lock);
	config_group_init_type_name(&map->group, name, &kfblk_map_type);
	return &map->group;
}

static void kfblk_map_drop(struct config_group *group,
			   struct config_item *item)
{
	kfblk_map_set(to_map(item), false);
	config_item_put(item);
}

static struct configfs_group_operations kfblk_root_ops = {
	.make_group = kfblk_map_make,
	.drop_item = kfblk_map_drop,
};

static const struct config_item_type kfblk_root_type = {
	.ct_group_ops = &kfblk_root_ops,
	.ct_owner = THIS_MODULE,
};

static struct configfs_subsystem kfblk_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf = "kfblk",
			.ci_type = &kfblk_root_type,
		},
	},
};

int kfblk_cfs_init(void)
{
	config_group_init(&kfblk_subsys.su_group);
	mutex_init(&kfblk_subsys.su_mutex);
	return configfs_register_subsystem(&kfblk_subsys);
}

void kfblk_cfs_exit(void)
{
	configfs_unregister_subsystem(&kfblk_subsys);
}
