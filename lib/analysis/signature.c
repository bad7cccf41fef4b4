// SPDX-License-Identifier: MIT
/*
 * Signatures (docs/signature.md): sha256 over
 *   "ktriage-signature-v1" NUL verdict NUL part1 NUL part2 ...
 * shown as "ktN:" and the first 16 hex digits (64 bits: collisions between
 * distinct crashes of one fleet are negligible, and the string stays short
 * enough for a journal field and a Prometheus label).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "report.h"

static bool digest_string(EVP_MD_CTX *ctx, const char *s)
{
	return EVP_DigestUpdate(ctx, s, strlen(s) + 1) == 1; /* with its NUL */
}

const char *kt_signature_compute(struct kt_arena *arena, const char *verdict,
				 const char *const *parts, size_t count)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	/*
	 * Without the system's openssl.cnf: SHA-256 is the same under any
	 * configuration, and reading and applying it was ~5 M of a cached
	 * analyze's 35 M instructions (bench/RESULTS.md).  A no-op when OpenSSL
	 * was already started (ktriaged's store, which may want its config).
	 */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		  digest_string(ctx, "ktriage-signature-v1") && digest_string(ctx, verdict);
	for (size_t i = 0; ok && i < count; i++)
		ok = digest_string(ctx, parts[i]);
	ok = ok && EVP_DigestFinal_ex(ctx, digest, &len) == 1 && len >= 8;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return NULL;
	char hex[17];
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return kt_arena_printf(arena, "kt%d:%s", KT_SIGNATURE_VERSION, hex);
}
