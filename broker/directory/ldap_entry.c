/* What the values of a directory entry mean (pure).
 *
 * Directory data is untrusted input like any other: every value is read with
 * a length, numbers strictly, and anything that decides whether an account
 * may log in fails closed — a userAccountControl that is not a number makes
 * the account disabled, not enabled.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ldap_internal.h"

/* 100 ns intervals between 1601-01-01 (Windows FILETIME) and 1970-01-01 */
#define FILETIME_UNIX_EPOCH 116444736000000000LL
#define FILETIME_PER_SECOND 10000000LL
/* pwdAccountLockedTime of an account locked by an administrator, not by
 * ppolicy's own failure counting (that lock ends by itself). */
#define PPOLICY_ADMIN_LOCK "000001010000Z"

int ldap_entry_int64(const uint8_t *p, size_t len, int64_t *ret)
{
        bool neg = false;
        uint64_t v = 0, limit;
        size_t i = 0;

        if (len > 0 && p[0] == '-') {
                neg = true;
                i = 1;
        }
        if (i == len || len > 21)
                return -EINVAL;
        limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (; i < len; i++) {
                if (p[i] < '0' || p[i] > '9')
                        return -EINVAL;
                if (v > (limit - (uint64_t)(p[i] - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t)(p[i] - '0');
        }
        *ret = neg ? (int64_t)(0 - v) : (int64_t)v;
        return 0;
}

int ldap_entry_uid(const uint8_t *p, size_t len, uid_t *ret)
{
        int64_t v;

        if (ldap_entry_int64(p, len, &v) < 0 || v < 0 || v >= (int64_t)UINT32_MAX)
                return -EINVAL;
        *ret = (uid_t)v;
        return 0;
}

static bool bv_int(const struct berval *bv, int64_t *ret)
{
        return ldap_entry_int64((const uint8_t *)bv->bv_val, bv->bv_len, ret) == 0;
}

bool ldap_entry_disabled(uint32_t rules, const struct ldap_state_values *v, int64_t now)
{
        int64_t x;

        if ((rules & LDAP_RULE_AD_UAC) && v->uac) {
                /* AD writes the flags as a signed 32-bit number */
                if (!bv_int(v->uac, &x) || x < INT32_MIN || x > (int64_t)UINT32_MAX)
                        return true;
                if ((uint32_t)x & 0x2)        /* ACCOUNTDISABLE */
                        return true;
        }
        if ((rules & LDAP_RULE_AD_EXPIRES) && v->account_expires) {
                if (!bv_int(v->account_expires, &x) || x < 0)
                        return true;
                /* 0 and the largest value both mean "never" */
                if (x != 0 && x != INT64_MAX && (x - FILETIME_UNIX_EPOCH) / FILETIME_PER_SECOND <= now)
                        return true;
        }
        if ((rules & LDAP_RULE_SHADOW_EXPIRE) && v->shadow_expire) {
                /* as pam_unix and the nss backend read it: unusable from that day on */
                if (!bv_int(v->shadow_expire, &x))
                        return true;
                if (x > 0 && x <= now / 86400)
                        return true;
        }
        if ((rules & LDAP_RULE_PPOLICY_LOCK) && v->pwd_locked) {
                if (v->pwd_locked->bv_len == strlen(PPOLICY_ADMIN_LOCK) &&
                    memcmp(v->pwd_locked->bv_val, PPOLICY_ADMIN_LOCK, v->pwd_locked->bv_len) == 0)
                        return true;
        }
        return false;
}

int ldap_entry_dn_name(const uint8_t *p, size_t len, char *out, size_t outsz)
{
        _cleanup_(freep) char *copy = NULL;
        struct berval bv = { .bv_len = len };
        LDAPDN dn = NULL;
        const LDAPAVA *ava;
        int r = -EINVAL;

        if (len == 0 || len > LDAP_VALUE_MAX || memchr(p, '\0', len))
                return -EINVAL;
        /* ldap_bv2dn reads past bv_len to a NUL (found by fuzzing): give it one */
        copy = strndup((const char *)p, len);
        if (!copy)
                return -ENOMEM;
        bv.bv_val = copy;
        if (ldap_bv2dn(&bv, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
                return -EINVAL;
        if (dn && dn[0] && dn[0][0]) {
                ava = dn[0][0];
                /* "#04…" is a BER value, not a name */
                if (!(ava->la_flags & LDAP_AVA_BINARY))
                        r = ldap_text_exact((const uint8_t *)ava->la_value.bv_val, ava->la_value.bv_len,
                                            out, outsz);
        }
        ldap_dnfree(dn);
        return r;
}

static bool ascii_upper(uint8_t b)
{
        return b >= 'A' && b <= 'Z';
}

bool ldap_entry_names_user(const struct berval *const *vals, const char *user, bool lowercase)
{
        size_t n = strlen(user);
        const struct berval *v;

        /* one value, or one person would have several names and counters */
        if (!vals || !vals[0] || vals[1])
                return false;
        v = vals[0];
        if (v->bv_len != n)
                return false;
        if (!lowercase)
                return memcmp(v->bv_val, user, n) == 0;
        for (size_t i = 0; i < n; i++) {
                uint8_t d = (uint8_t)v->bv_val[i], u = (uint8_t)user[i];

                /* "Alice" is not a name here: only the lower-case form is */
                if (ascii_upper(u) || (ascii_upper(d) ? (uint8_t)(d + 32) : d) != u)
                        return false;
        }
        return true;
}

int ldap_entry_user_name(const struct berval *const *vals, bool lowercase, char *out, size_t outsz)
{
        const struct berval *v = vals ? vals[0] : NULL;

        if (!v || vals[1] || v->bv_len >= outsz || v->bv_len > LDAP_NAME_MAX)
                return -EINVAL;
        for (size_t i = 0; i < v->bv_len; i++)
                out[i] = lowercase && ascii_upper((uint8_t)v->bv_val[i]) ? (char)(v->bv_val[i] + 32) : v->bv_val[i];
        out[v->bv_len] = '\0';
        /* the name a lookup would be asked: the same rules decide */
        if (ldap_text_name_check((const uint8_t *)out, v->bv_len) < 0 ||
            !ldap_entry_names_user(vals, out, lowercase))
                return -EINVAL;
        return 0;
}

char *ldap_entry_name_key(const uint8_t *p, size_t len)
{
        char *k = malloc(len + 1);

        if (!k)
                return NULL;
        for (size_t i = 0; i < len; i++)
                k[i] = ascii_upper(p[i]) ? (char)(p[i] + 32) : (char)p[i];
        k[len] = '\0';
        return k;
}

int ldap_entry_dn_key(const uint8_t *p, size_t len, char **ret)
{
        _cleanup_(freep) char *copy = NULL;
        char *norm = NULL;

        if (len == 0 || len > LDAP_VALUE_MAX || memchr(p, '\0', len))
                return -EINVAL;
        copy = strndup((const char *)p, len);
        if (!copy)
                return -ENOMEM;
        if (ldap_dn_normalize(copy, LDAP_DN_FORMAT_LDAP, &norm, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || !norm)
                return -EINVAL;
        *ret = ldap_entry_name_key((const uint8_t *)norm, strlen(norm));
        ldap_memfree(norm);
        return *ret ? 0 : -ENOMEM;
}

int ldap_entry_add_group(struct strv *groups, const char *name)
{
        if (groups->n >= LDAP_GROUPS_MAX && !strv_contains(groups, name))
                return -E2BIG;
        return strv_add(groups, name);
}
