// SPDX-License-Identifier: GPL-2.0
/*
 * kfkv authentication: computing and checking the proofs of the AUTH
 * exchange with HMAC-SHA256 from the kernel's crypto API.
 *
 * A transform is allocated per proof: a proof is made once per connection,
 * and a transform of our own keeps one store's secret out of every other
 * connection's way without locking.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <linux/err.h>
#include <linux/string.h>
#include "kfkv_auth.h"

/**
 * kfkv_auth_mac() - one side's proof
 * @secret: the store's shared secret
 * @secret_len: its bytes, KFKV_SECRET_MIN to KFKV_SECRET_MAX
 * @from_client: the client's proof (else the target's)
 * @target_nonce: the target's challenge
 * @client_nonce: the client's challenge
 * @store: the store's name
 * @mac: KFKV_MAC_LEN bytes, the proof
 *
 * Context: process (the transform is allocated here).
 * Return: 0 or a negative errno.
 */
int kfkv_auth_mac(const u8 *secret, u32 secret_len, bool from_client,
		  const u8 *target_nonce, const u8 *client_nonce,
		  const char *store, u8 *mac)
{
	struct kfkv_auth_input in;
	struct crypto_shash *tfm;
	int ret;

	if (secret_len < KFKV_SECRET_MIN || secret_len > KFKV_SECRET_MAX)
		return -EINVAL;
	ret = kfkv_auth_input_build(&in, from_client, target_nonce,
				    client_nonce, store);
	if (ret)
		return ret;
	tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	ret = crypto_shash_setkey(tfm, secret, secret_len) ?:
	      crypto_shash_tfm_digest(tfm, (const u8 *)&in, sizeof(in), mac);
	crypto_free_shash(tfm);
	return ret;
}

/**
 * kfkv_auth_check() - is @mac the proof the other side should have sent?
 * @secret: the store's shared secret
 * @secret_len: its bytes
 * @from_client: @mac came from the client (else from the target)
 * @target_nonce: the target's challenge
 * @client_nonce: the client's challenge
 * @store: the store's name
 * @mac: KFKV_MAC_LEN bytes received
 *
 * Compared in constant time, so the time taken tells an attacker nothing
 * of how many bytes of a forged proof were right.
 *
 * Context: process.
 * Return: 0 when it is; -EKEYREJECTED when not; another negative errno
 * when no proof could be computed.
 */
int kfkv_auth_check(const u8 *secret, u32 secret_len, bool from_client,
		    const u8 *target_nonce, const u8 *client_nonce,
		    const char *store, const u8 *mac)
{
	u8 want[KFKV_MAC_LEN];
	int ret;

	ret = kfkv_auth_mac(secret, secret_len, from_client, target_nonce,
			    client_nonce, store, want);
	if (!ret && crypto_memneq(want, mac, sizeof(want)))
		ret = -EKEYREJECTED;
	memzero_explicit(want, sizeof(want));
	return ret;
}

/**
 * kfkv_secret_parse() - a secret as written to a configfs attribute
 * @name: the store or device it is for, for the log
 * @page: what was written
 * @count: its bytes
 *
 * The secret is the bytes before the first newline (any byte but a
 * newline counts, so a binary secret works); nothing at all clears it.
 *
 * Return: its length, 0 to clear, or -EINVAL (logged) when it is shorter
 * than KFKV_SECRET_MIN or longer than KFKV_SECRET_MAX.
 */
int kfkv_secret_parse(const char *name, const char *page, size_t count)
{
	const char *nl = memchr(page, '\n', count);
	size_t len = nl ? nl - page : count;

	if (len && (len < KFKV_SECRET_MIN || len > KFKV_SECRET_MAX)) {
		pr_err("%s: secret: need %d-%d bytes (or none, to clear)\n",
		       name, KFKV_SECRET_MIN, KFKV_SECRET_MAX);
		return -EINVAL;
	}
	return len;
}

/**
 * kfkv_secret_set() - replace a secret, leaving nothing of the old one
 * @secret: KFKV_SECRET_MAX bytes
 * @secret_len: its length, set to @len
 * @page: the new one's bytes
 * @len: their count, from kfkv_secret_parse()
 *
 * Context: the caller's lock for @secret held.
 */
void kfkv_secret_set(u8 *secret, u32 *secret_len, const char *page, int len)
{
	memzero_explicit(secret, KFKV_SECRET_MAX);
	memcpy(secret, page, len);
	*secret_len = len;
}
