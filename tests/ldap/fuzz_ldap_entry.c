/* libFuzzer: reading directory values — integers, the disabled rules, DNs
 * of memberOf, display text. Whatever the server sends, the text kagi keeps
 * is clean UTF-8 that fits, and nothing crashes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldap_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct berval bv = { .bv_len = size, .bv_val = (char *)data };
        const struct berval *vals[] = { &bv, NULL };
        struct ldap_state_values sv = { &bv, &bv, &bv, &bv };
        char out[256], small[7], check[256];
        int64_t v;
        uid_t uid;
        size_t n;

        if (size > LDAP_VALUE_MAX)
                return 0;
        ldap_entry_int64(data, size, &v);
        ldap_entry_uid(data, size, &uid);
        ldap_entry_disabled(LDAP_RULE_AD_UAC | LDAP_RULE_AD_EXPIRES | LDAP_RULE_SHADOW_EXPIRE |
                                    LDAP_RULE_PPOLICY_LOCK, &sv, 1700000000);
        ldap_entry_names_user(vals, "alice", true);
        ldap_entry_names_user(vals, "alice", false);
        if (ldap_entry_dn_name(data, size, out, sizeof(out)) == 0 &&
            ldap_text_exact((const uint8_t *)out, strlen(out), check, sizeof(check)) < 0)
                abort();
        n = ldap_text_copy(data, size, out, sizeof(out));
        if (n != strlen(out) || (n > 0 && ldap_text_exact((const uint8_t *)out, n, check, sizeof(check)) < 0))
                abort();
        n = ldap_text_copy(data, size, small, sizeof(small));
        if (n >= sizeof(small) || (n > 0 && ldap_text_exact((const uint8_t *)small, n, check, sizeof(check)) < 0))
                abort();
        return 0;
}
