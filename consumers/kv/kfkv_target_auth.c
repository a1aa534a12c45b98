// SPDX-License-Identifier: GPL-2.0
/* The AUTH proofs, built once more for kfkv_target.ko. */
#include "kfkv_auth.c"
