// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv target: a store's index, values in pages, capacity and versions.
 *
 * Both backends keep every object's key, size and version in an rbtree
 * ordered like the wire protocol orders keys, so lookups, version checks
 * and LIST never touch the disk; the mem backend also keeps the value
 * there (in pages, so an RMA can move it without a copy), the dir backend
 * keeps it in a file.  Everything here runs under the store's data_lock
 * unless it says otherwise.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include "kfkv_target.h"

/**
 * kfkv_buf_alloc() - pages for a value of @len bytes
 * @len: bytes, at most KFKV_VALUE_MAX
 *
 * Context: process, may sleep.
 * Return: the buffer, or NULL when memory is short (never an OOM kill:
 * the allocations give up instead).
 */
struct kfkv_buf *kfkv_buf_alloc(u64 len)
{
	u32 i, nr = DIV_ROUND_UP(len, PAGE_SIZE);
	struct kfkv_buf *buf;

	if (len > KFKV_VALUE_MAX)
		return NULL;
	buf = kvzalloc(struct_size(buf, pages, nr), GFP_KERNEL);
	if (!buf)
		return NULL;
	buf->len = len;
	for (i = 0; i < nr; i++) {
		buf->pages[i] = alloc_page(GFP_KERNEL | __GFP_NOWARN |
					   __GFP_NORETRY);
		if (!buf->pages[i]) {
			kfkv_buf_free(buf);
			return NULL;
		}
		buf->nr_pages++;
	}
	return buf;
}

void kfkv_buf_free(struct kfkv_buf *buf)
{
	u32 i;

	if (!buf)
		return;
	for (i = 0; i < buf->nr_pages; i++)
		__free_page(buf->pages[i]);
	kvfree(buf);
}

/* Copy @len bytes from @src to the start of @buf. */
void kfkv_buf_copy_in(struct kfkv_buf *buf, const void *src, u64 len)
{
	u64 done = 0;

	while (done < len) {
		u32 n = min_t(u64, PAGE_SIZE, len - done);

		memcpy_to_page(buf->pages[done >> PAGE_SHIFT], 0, src + done, n);
		done += n;
	}
}

/* Copy @len bytes of @buf from @off on to @dst; the range is in @buf. */
void kfkv_buf_copy_out(const struct kfkv_buf *buf, u64 off, void *dst,
		       u64 len)
{
	u64 done = 0;

	while (done < len) {
		u64 pos = off + done;
		u32 in = offset_in_page(pos);
		u32 n = min_t(u64, PAGE_SIZE - in, len - done);

		memcpy_from_page(dst + done, buf->pages[pos >> PAGE_SHIFT], in,
				 n);
		done += n;
	}
}

/**
 * kfkv_buf_bvec() - describe bytes of a value as a bio_vec array
 * @buf: the value
 * @off: first byte
 * @len: bytes wanted; [@off, @off + @len) lies within @buf
 * @bv: filled with up to @max entries
 * @max: room in @bv, at least 1
 * @bytes: set to the bytes the entries cover (less than @len when @max
 *	entries were not enough)
 *
 * Context: any.
 * Return: entries filled.
 */
u32 kfkv_buf_bvec(const struct kfkv_buf *buf, u64 off, u64 len,
		  struct bio_vec *bv, u32 max, u64 *bytes)
{
	u64 done = 0;
	u32 n = 0;

	while (done < len && n < max) {
		u64 pos = off + done;
		u32 in = offset_in_page(pos);
		u32 part = min_t(u64, PAGE_SIZE - in, len - done);

		bvec_set_page(&bv[n++], buf->pages[pos >> PAGE_SHIFT], part,
			      in);
		done += part;
	}
	*bytes = done;
	return n;
}

/* What one object costs a mem store's capacity. */
u64 kfkv_obj_charge(u64 size, u16 key_len)
{
	return PAGE_ALIGN(size) + sizeof(struct kfkv_obj) + key_len;
}

/**
 * kfkv_store_charge() - take @bytes of the store's capacity
 * @st: the store
 * @bytes: what the new object will cost
 *
 * Only mem stores have a capacity; a dir store is bounded by its file
 * system and by max_objects.
 *
 * Context: any.
 * Return: 0, or -ENOSPC when the store would go over its capacity.
 */
int kfkv_store_charge(struct kfkv_store *st, u64 bytes)
{
	if (st->backend != KFKV_BACKEND_MEM)
		return 0;
	if (atomic64_add_return(bytes, &st->used) > st->capacity) {
		atomic64_sub(bytes, &st->used);
		return -ENOSPC;
	}
	return 0;
}

void kfkv_store_uncharge(struct kfkv_store *st, u64 bytes)
{
	if (st->backend == KFKV_BACKEND_MEM)
		atomic64_sub(bytes, &st->used);
}

struct kfkv_obj *kfkv_obj_alloc(struct kfkv_store *st, const u8 *key,
				u16 key_len)
{
	struct kfkv_obj *obj;

	obj = kzalloc(struct_size(obj, key, key_len),
		      GFP_KERNEL | __GFP_NOWARN);
	if (!obj)
		return NULL;
	kref_init(&obj->ref);
	RB_CLEAR_NODE(&obj->node);
	obj->store = st;
	obj->key_len = key_len;
	memcpy(obj->key, key, key_len);
	return obj;
}

static void kfkv_obj_release(struct kref *ref)
{
	struct kfkv_obj *obj = container_of(ref, struct kfkv_obj, ref);

	kfkv_store_uncharge(obj->store, obj->charge);
	kfkv_buf_free(obj->val);
	kfree(obj);
}

/* Context: any process context; the last put frees the value. */
void kfkv_obj_put(struct kfkv_obj *obj)
{
	if (obj)
		kref_put(&obj->ref, kfkv_obj_release);
}

struct kfkv_obj *kfkv_index_find(struct kfkv_store *st, const u8 *key,
				 u16 key_len)
{
	struct rb_node *n = st->objs.rb_node;

	lockdep_assert_held(&st->data_lock);
	while (n) {
		struct kfkv_obj *obj = rb_entry(n, struct kfkv_obj, node);
		int c = kfkv_key_cmp(key, key_len, obj->key, obj->key_len);

		if (!c)
			return obj;
		n = c < 0 ? n->rb_left : n->rb_right;
	}
	return NULL;
}

/* Insert @obj, whose key is not in the index. */
static void kfkv_index_insert(struct kfkv_store *st, struct kfkv_obj *obj)
{
	struct rb_node **link = &st->objs.rb_node, *parent = NULL;

	while (*link) {
		struct kfkv_obj *o = rb_entry(*link, struct kfkv_obj, node);

		parent = *link;
		if (kfkv_key_cmp(obj->key, obj->key_len, o->key,
				 o->key_len) < 0)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&obj->node, parent, link);
	rb_insert_color(&obj->node, &st->objs);
	st->nr_objs++;
}

/**
 * kfkv_index_replace() - put @obj where @old was (or add it)
 * @st: the store
 * @old: the object of the same key, or NULL
 * @obj: the new object; the index takes the caller's reference
 */
void kfkv_index_replace(struct kfkv_store *st, struct kfkv_obj *old,
			struct kfkv_obj *obj)
{
	lockdep_assert_held(&st->data_lock);
	if (old) {
		rb_replace_node(&old->node, &obj->node, &st->objs);
		RB_CLEAR_NODE(&old->node);
		kfkv_obj_put(old);
		return;
	}
	kfkv_index_insert(st, obj);
}

void kfkv_index_remove(struct kfkv_store *st, struct kfkv_obj *obj)
{
	lockdep_assert_held(&st->data_lock);
	rb_erase(&obj->node, &st->objs);
	RB_CLEAR_NODE(&obj->node);
	st->nr_objs--;
	kfkv_obj_put(obj);
}

/* Drop every object of the index (a GET still moving one keeps it). */
void kfkv_index_clear(struct kfkv_store *st)
{
	struct kfkv_obj *obj, *next;

	mutex_lock(&st->data_lock);
	rbtree_postorder_for_each_entry_safe(obj, next, &st->objs, node)
		kfkv_obj_put(obj);
	st->objs = RB_ROOT;
	st->nr_objs = 0;
	mutex_unlock(&st->data_lock);
}

/*
 * A version larger than every one given out before, also across a reload
 * of a dir store: the wall clock in nanoseconds when it is ahead, else the
 * last one plus one.
 */
u64 kfkv_next_version(struct kfkv_store *st)
{
	u64 now = ktime_get_real_ns();

	lockdep_assert_held(&st->data_lock);
	st->last_version = max(st->last_version + 1, now);
	return st->last_version;
}

/**
 * kfkv_put_check() - may a PUT with @ri's conditions replace @old?
 * @old: the object now at the key, or NULL
 * @ri: the PUT
 * @rsp: gets the current version when the answer is no
 *
 * Return: KFKV_ST_OK, or the status to answer with.
 */
int kfkv_put_check(const struct kfkv_obj *old,
		   const struct kfkv_req_info *ri, struct kfkv_rsp_info *rsp)
{
	if (ri->flags & KFKV_F_IF_ABSENT && old) {
		rsp->version = old->version;
		return KFKV_ST_EXIST;
	}
	if (!(ri->flags & KFKV_F_IF_VERSION))
		return KFKV_ST_OK;
	if (!old)
		return KFKV_ST_NOENT;
	if (old->version != ri->version) {
		rsp->version = old->version;
		return KFKV_ST_CONFLICT;
	}
	return KFKV_ST_OK;
}

/* The first object whose key sorts after @key (or at it, with @incl). */
static struct kfkv_obj *kfkv_index_from(struct kfkv_store *st, const u8 *key,
					u16 key_len, bool incl)
{
	struct rb_node *n = st->objs.rb_node;
	struct kfkv_obj *best = NULL;

	while (n) {
		struct kfkv_obj *obj = rb_entry(n, struct kfkv_obj, node);
		int c = kfkv_key_cmp(obj->key, obj->key_len, key, key_len);

		if (c > 0 || (incl && !c)) {
			best = obj;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

/**
 * kfkv_store_list() - answer a LIST from the index
 * @st: the store
 * @ri: the LIST (prefix in @ri->key, at most @ri->value_len keys)
 * @cookie: @ri->inline_len bytes: the last key already returned
 * @out: the answer's inline bytes
 * @room: bytes at @out
 * @rsp: gets the count, the bytes used and KFKV_LIST_MORE
 *
 * Return: KFKV_ST_OK.
 */
int kfkv_store_list(struct kfkv_store *st, const struct kfkv_req_info *ri,
		    const u8 *cookie, u8 *out, u32 room,
		    struct kfkv_rsp_info *rsp)
{
	struct kfkv_obj *obj;
	u32 pos = 0;

	mutex_lock(&st->data_lock);
	/*
	 * Keys with the prefix are contiguous in key order, from the prefix
	 * itself on: start there or after the cookie, whichever is later,
	 * and stop at the first key without the prefix.
	 */
	if (ri->inline_len &&
	    kfkv_key_cmp(cookie, ri->inline_len, ri->key, ri->key_len) >= 0)
		obj = kfkv_index_from(st, cookie, ri->inline_len, false);
	else
		obj = kfkv_index_from(st, ri->key, ri->key_len, true);
	for (; obj; obj = rb_entry_safe(rb_next(&obj->node), struct kfkv_obj,
					node)) {
		if (obj->key_len < ri->key_len ||
		    memcmp(obj->key, ri->key, ri->key_len))
			break;
		if (rsp->size == ri->value_len ||
		    kfkv_list_put(out, room, &pos, obj->key, obj->key_len)) {
			rsp->xfer = KFKV_LIST_MORE;
			break;
		}
		rsp->size++;
	}
	mutex_unlock(&st->data_lock);
	rsp->inline_len = pos;
	return KFKV_ST_OK;
}
