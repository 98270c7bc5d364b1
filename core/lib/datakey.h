/*
 * datakey.h - per-tenant keys for especially sensitive fields.
 *
 * Each tenant has two random 256-bit keys: a data key for AES-256-GCM
 * and a hash key for HMAC-SHA256 (a searchable, keyed hash: without the
 * key, the 10^9 possible AHV numbers cannot be hashed and compared).
 * Both are stored in tenant_key wrapped (AES-256-GCM) with the
 * deployment's master key (ks_conf.master_key, 64 hex characters), the
 * tenant id bound in as associated data, and created on first use.
 *
 * Values are sealed under a key of their own (since retention, issue
 * 15): "KSV2" | key id (16 bytes) | nonce (12) | ciphertext | tag (16),
 * the associated data binding tenant and key id. The value key is kept
 * outside the database, one file per key in key_dir (default
 * <root>/var/keys, shared by the nodes of a cluster), wrapped by the
 * master key: a database backup holds no key, so destroying the file
 * (ks_datakey_shred) makes every copy of the value unreadable, those in
 * backups included. Older values, nonce | ciphertext | tag under the
 * tenant's data key, still open (they cannot be shredded one by one).
 * A value key lives while a row names it: the query datakey_keys_in_use
 * (core/sql/queries/retention.sql) lists the key ids in use, and a table
 * that comes to hold sealed values must be added there, or
 * ks_datakey_sweep destroys its keys.
 *
 * Each dossier has such a key too (ks_datakey_dossier, named by
 * dossier_key): its documents ("KSD1", core/casework/document.c) and protected
 * journal notes ("KSJ1", ks_dossier_seal) are sealed under it, and
 * retention destroys it with the dossier.
 *
 * The request functions fail with 503 encryption_unavailable when no
 * master key is configured or a stored key does not open with it. Plain
 * values never appear in errors or logs.
 */
#ifndef KS_DATAKEY_H
#define KS_DATAKEY_H

#include <stddef.h>
#include <stdint.h>

#include "kasus.h"

#define KS_KEY_LEN	32
#define KS_SEAL_NONCE	12
#define KS_SEAL_TAG	16
/** Bytes a sealed value adds to its plaintext. */
#define KS_SEAL_OVERHEAD (KS_SEAL_NONCE + KS_SEAL_TAG)

/* ------------------------------------------------ primitives (no state) */

/**
 * Parse a 64-hex-character master key. Returns KS_OK, or KS_ERROR when
 * hex is NULL, empty, of another length, not hex, or all zero.
 */
int	ks_datakey_parse_master(const char *hex,
	    unsigned char out[KS_KEY_LEN]);

/**
 * AES-256-GCM with a random nonce: out receives n + KS_SEAL_OVERHEAD
 * bytes. aad may be NULL when aadlen is 0. Returns KS_OK or KS_ERROR.
 */
int	ks_seal(const unsigned char key[KS_KEY_LEN], const void *aad,
	    size_t aadlen, const void *in, size_t n, unsigned char *out);

/**
 * Open a sealed value of n bytes into out (n - KS_SEAL_OVERHEAD bytes).
 * Returns KS_ERROR when it is too short, the key or associated data is
 * wrong, or anything was changed; out is then zeroed.
 */
int	ks_open(const unsigned char key[KS_KEY_LEN], const void *aad,
	    size_t aadlen, const unsigned char *in, size_t n,
	    unsigned char *out);

/** HMAC-SHA256 of in with key, as 64 lowercase hex characters. */
void	ks_hmac_hex(const unsigned char key[KS_KEY_LEN], const void *in,
	    size_t n, char out[65]);

/** Bytes as a bytea literal ("\x" and hex) in arena memory. */
char	*ks_bytea_hex(struct ks_arena *, const unsigned char *, size_t);
/**
 * Decode a bytea as libpq returns it in text format ("\x" and hex) into
 * out (at most cap bytes). Returns the length, or -1 when malformed or
 * longer than cap.
 */
long	ks_bytea_decode(const char *text, unsigned char *out, size_t cap);

/* ------------------------------------------------------ request level */

/** 1 when a valid master key is configured, else 0. */
int	ks_datakey_available(void);

/**
 * Seal plain with the request's tenant's data key, creating the keys
 * when the tenant has none yet. *out is a bytea literal for a statement
 * parameter, in the request's arena.
 */
int	ks_datakey_encrypt(struct ks_request *, const char *plain,
	    const char **out);

/**
 * Open a value ks_datakey_encrypt produced, given as libpq returns a
 * bytea ("\x..."). *out is a NUL-terminated string in the request's
 * arena. A value that does not open is an error (500 data_unreadable).
 */
int	ks_datakey_decrypt(struct ks_request *, const char *bytea,
	    char **out);

/**
 * The keyed hash of text with the tenant's hash key, 64 hex characters
 * in the request's arena. When the tenant has no keys yet: with create
 * they are made; without, *out is NULL (nothing can have been hashed).
 */
int	ks_datakey_hash(struct ks_request *, const char *text, int create,
	    const char **out);

/** The tenant whose keys a request uses (the one it works on). */
int64_t	ks_datakey_tenant(struct ks_request *);

/** A value key's id as text: 32 hex characters and the NUL. */
#define KS_KEY_ID_HEX	33

/**
 * The key of a dossier (its documents are sealed under it, see
 * core/casework/document.c): a value key like a field's, its id in dossier_key
 * (0022_dossier_keys.sql), the key in key_dir. Into key and hex (its
 * id). With make it is created when the dossier has none yet (it then
 * lives from this request's commit on; a key whose row was rolled back
 * is swept); without, returns 1 when the dossier has none. A destroyed
 * key is 500 data_unreadable.
 */
int	ks_datakey_dossier(struct ks_request *, int64_t dossier, int make,
	    unsigned char key[KS_KEY_LEN], char hex[KS_KEY_ID_HEX]);

/**
 * A value key by its id (KS_KEY_ID_HEX), of the request's tenant; a
 * destroyed one is 500 data_unreadable.
 */
int	ks_datakey_key(struct ks_request *, const char *hex,
	    unsigned char key[KS_KEY_LEN]);

/**
 * Seal text of a dossier (a protected journal note) under the dossier's
 * key, bound to what (the row, e.g. "journal_entry:123"): *out is a
 * bytea literal ("KSJ1" | key id | nonce | ciphertext | tag) in the
 * request's arena.
 */
int	ks_dossier_seal(struct ks_request *, int64_t dossier,
	    const char *what, const char *plain, const char **out);
/**
 * Open what ks_dossier_seal made, given as libpq returns a bytea: *out a
 * NUL-terminated string in the request's arena; 500 data_unreadable when
 * the dossier's key was destroyed or the value does not open.
 */
int	ks_dossier_open(struct ks_request *, int64_t dossier,
	    const char *what, const char *bytea, char **out);

/** Make key_dir (and hand it to the worker user); before the fork. */
int	ks_datakey_prepare(void);

/**
 * Destroy the value key with the given id (32 hex characters) of the
 * tenant: every value sealed with it becomes unreadable for good. A key
 * that is gone already is fine. Call ks_datakey_shred_done after a batch
 * (it makes the removals durable).
 */
int	ks_datakey_shred(int64_t tenant, const char *hex);
void	ks_datakey_shred_done(void);

/**
 * Destroy the request's tenant's value keys that no row names (the old
 * value of a changed field, a key whose row was rolled back, a key a
 * crash left behind after its row was deleted) and that are at least
 * min_age_s old (younger ones may belong to a row not yet committed).
 */
int	ks_datakey_sweep(struct ks_request *, int min_age_s, long *shredded);

/** Forget the keys this process has opened (tests). */
void	ks_datakey_forget(void);

#endif
