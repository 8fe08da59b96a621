#ifndef KEYROT_COPENSSL_SHIM_H
#define KEYROT_COPENSSL_SHIM_H

// The slice of OpenSSL 3 that KeyrotCrypto uses. Only libcrypto is linked: no TLS here.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

// A keyed HMAC context for `digest` ("SHA256", "SHA384", "SHA512"), or NULL; the MAC is fetched once per call here,
// which is why a caller keeps the context and duplicates it for each message.
static inline EVP_MAC_CTX *keyrot_hmac_context(const char *digest, const unsigned char *key, size_t key_length) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) return NULL;
    EVP_MAC_CTX *context = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    if (context == NULL) return NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_MAC_init(context, key, key_length, params) != 1) {
        EVP_MAC_CTX_free(context);
        return NULL;
    }
    return context;
}

// The MAC of `message` under the keyed `context` (left as it was), into `output` (`*output_length` set); 1 on
// success.
static inline int keyrot_hmac(const EVP_MAC_CTX *context, const unsigned char *message, size_t length,
                              unsigned char *output, size_t output_size, size_t *output_length) {
    EVP_MAC_CTX *copy = EVP_MAC_CTX_dup(context);
    if (copy == NULL) return 0;
    int ok = EVP_MAC_update(copy, message, length) == 1 && EVP_MAC_final(copy, output, output_length, output_size) == 1;
    EVP_MAC_CTX_free(copy);
    return ok;
}

#endif
