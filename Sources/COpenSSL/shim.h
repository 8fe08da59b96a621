#ifndef KEYROT_COPENSSL_SHIM_H
#define KEYROT_COPENSSL_SHIM_H

// The slice of OpenSSL 3 that KeyrotCrypto uses. Only libcrypto is linked: no TLS here.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/err.h>

#endif
