/* libkagi-directory: who exists — an account, whether it is enabled, its
 * name, department and groups, the person's card certificates — from NSS
 * (nss.c) or LDAP (ldap*.c), behind a short-lived lookup cache (cache.c).
 *
 * One handle per worker thread. A directory that cannot answer is an error
 * the caller fails closed on, never "no such account". Never: writes state,
 * knows the store, or keeps a user's password beyond the one bind that
 * checks it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"

struct dir_account {
        char name[257];                       /* canonical: what the directory calls it */
        bool exists;
        bool enabled;
        uid_t uid;                            /* NSS only; (uid_t)-1 otherwise */
        char display_name[256];
        char department[256];
        struct strv groups;
};
void dir_account_clear(struct dir_account *a);
/* Copies an account (groups included). 0 or -ENOMEM. */
int dir_account_copy(const struct dir_account *from, struct dir_account *to);

struct dir_certs {
        uint8_t **der;
        size_t *len;
        size_t n;
};
void dir_certs_clear(struct dir_certs *c);

struct directory;
int directory_open(const struct kagi_config *c, struct directory **ret, char *err, size_t errsz);
void directory_close(struct directory *d);
/* 0 with *ret filled (exists=false for an unknown name); ret->name is the
 * account's own name, which may differ from the one asked for (NSS sources
 * that fold case or add a domain): every state kagi keeps is keyed by it.
 * -EHOSTDOWN / -ETIMEDOUT
 * / -ECONNREFUSED when the directory cannot answer: the caller fails closed. */
int directory_lookup(struct directory *d, const char *user, struct dir_account *ret);
/* The same without asking whether the account is enabled, where a backend
 * must ask separately (NSS: getspnam); ret->enabled is then true. For
 * decisions that do not depend on it (preauth, the factors to collect). */
int directory_lookup_brief(struct directory *d, const char *user, struct dir_account *ret);
/* Would a lookup of user be answered from the cache, without asking the
 * directory? (For choosing a worker; the answer may be stale a moment later.) */
bool directory_cached(struct directory *d, const char *user);
/* Can the broker verify passwords itself (LDAP bind)? */
bool directory_checks_passwords(const struct directory *d);
/* 0: right; -EACCES: wrong (a failure); -ENOTSUP; other negative: unavailable. */
int directory_check_password(struct directory *d, const char *user, const char *password);
/* Certificates the directory holds for the person (userCertificate;binary). */
int directory_certificates(struct directory *d, const char *user, struct dir_certs *ret);

/* Every account at once, for the review: cb once per account with what
 * directory_lookup of a->name would answer (exists is true) and whether
 * directory_certificates would return any certificate. A name the listing
 * does not give is one a lookup would call unknown. cb is called only once
 * the whole listing is in hand, so a directory that fails part-way has
 * called it for nobody: never a partial list taken as whole. A negative
 * return from cb stops the listing and is returned. Not cached.
 * -EOPNOTSUPP: the backend cannot list (NSS: ask per account, which is
 * cheap there); -E2BIG: the directory would not give everything (its size
 * limit); else the errors of directory_lookup. */
typedef int (*dir_list_cb)(void *userdata, const struct dir_account *a, bool has_certificate);
int directory_list(struct directory *d, dir_list_cb cb, void *userdata);
