/* Secret handling and the shared vocabulary of decisions and factors. */
#include <errno.h>
#include <string.h>

#include "common.h"

/* explicit_bzero (libc) is a wipe the compiler may not drop; the PAM module
 * uses it without pulling libcrypto into every process that logs in. */
void secret_wipe(void *p, size_t len)
{
        if (p && len)
                explicit_bzero(p, len);
}

void secret_free(void *p, size_t len)
{
        if (!p)
                return;
        explicit_bzero(p, len);
        free(p);
}

char *secret_strdup(const char *s)
{
        return s ? strdup(s) : NULL;
}

void secret_strfree(char *s)
{
        if (s)
                secret_free(s, strlen(s));
}

bool secret_equal(const void *a, const void *b, size_t len)
{
        const volatile uint8_t *x = a, *y = b;
        uint8_t diff = 0;

        /* every byte, whatever the first difference: no timing to read */
        for (size_t i = 0; i < len; i++)
                diff |= x[i] ^ y[i];
        return diff == 0;
}

static const char *const decision_names[KAGI_DECISION_MAX_] = {
        [KAGI_ALLOW] = "allow",
        [KAGI_CONTINUE] = "continue",
        [KAGI_DENY_CREDENTIAL] = "deny-credential",
        [KAGI_DENY_LOCKED] = "deny-locked",
        [KAGI_DENY_DISABLED] = "deny-disabled",
        [KAGI_DENY_UNKNOWN] = "deny-unknown",
        [KAGI_DENY_POLICY] = "deny-policy",
        [KAGI_DENY_REPLAY] = "deny-replay",
        [KAGI_DENY_NOT_ENROLLED] = "deny-not-enrolled",
        [KAGI_DENY_CARD] = "deny-card",
        [KAGI_DENY_PERMISSION] = "deny-permission",
        [KAGI_DENY_INVALID] = "deny-invalid",
        [KAGI_ERROR] = "error",
        [KAGI_UNAVAILABLE] = "unavailable",
        [KAGI_DENY_ABANDONED] = "deny-abandoned",
};

bool kagi_decision_valid(uint32_t d)
{
        return d < KAGI_DECISION_MAX_;
}

const char *kagi_decision_name(enum kagi_decision d)
{
        return kagi_decision_valid(d) ? decision_names[d] : "invalid";
}

static const struct {
        const char *name;
        uint32_t bit;
} factor_names[] = {
        { "password", KAGI_F_PASSWORD },
        { "totp", KAGI_F_TOTP },
        { "card", KAGI_F_CARD },
        { "pin", KAGI_F_PIN },
};

int factor_set_parse(const char *s, uint32_t *ret_mask)
{
        uint32_t mask = 0;

        if (!s || !*s)
                return -EINVAL;
        while (*s) {
                size_t n = strcspn(s, "+");
                size_t i;

                for (i = 0; i < ARRAY_SIZE(factor_names); i++)
                        if (strlen(factor_names[i].name) == n && strncmp(s, factor_names[i].name, n) == 0)
                                break;
                if (i == ARRAY_SIZE(factor_names) || (mask & factor_names[i].bit))
                        return -EINVAL;
                mask |= factor_names[i].bit;
                s += n;
                if (*s == '+' && *++s == '\0')
                        return -EINVAL;
        }
        *ret_mask = mask;
        return 0;
}

void factor_set_format(uint32_t mask, char *buf, size_t size)
{
        size_t used = 0;

        if (size == 0)
                return;
        buf[0] = '\0';
        for (size_t i = 0; i < ARRAY_SIZE(factor_names); i++) {
                if (!(mask & factor_names[i].bit))
                        continue;
                int n = snprintf(buf + used, size - used, "%s%s", used ? "+" : "", factor_names[i].name);
                if (n < 0 || (size_t)n >= size - used)
                        return;
                used += (size_t)n;
        }
}
