/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfkv authentication: the HMAC-SHA256 proofs of the AUTH exchange
 * (Documentation/kfabric/kfkv-protocol.rst), for the client and the
 * target.  What a proof covers is kfkv_auth_input_build()'s, in the
 * protocol file; this computes and compares them with the kernel's crypto
 * API.
 */
#ifndef _KFKV_AUTH_H
#define _KFKV_AUTH_H

#include "kfkv_proto.h"

int kfkv_auth_mac(const u8 *secret, u32 secret_len, bool from_client,
		  const u8 *target_nonce, const u8 *client_nonce,
		  const char *store, u8 *mac);
int kfkv_auth_check(const u8 *secret, u32 secret_len, bool from_client,
		    const u8 *target_nonce, const u8 *client_nonce,
		    const char *store, const u8 *mac);

int kfkv_secret_parse(const char *name, const char *page, size_t count);
void kfkv_secret_set(u8 *secret, u32 *secret_len, const char *page, int len);

#endif /* _KFKV_AUTH_H */
