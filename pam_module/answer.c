/* What the user typed at a prompt: a credential to check, or nothing to
 * check. Pure. An answer that is no credential is recorded as such and never
 * counts toward the lock: nothing was verified, so nothing was guessed. */
#include <string.h>

#include "pam_kagi.h"

enum kagi_abandon pk_secret_answer(const char *answer)
{
        if (!answer)
                return KAGI_ABANDON_NO_ANSWER;      /* interrupted, end of input, timed out */
        if (!*answer)
                return KAGI_ABANDON_EMPTY;
        return KAGI_ABANDON_NONE;
}

static bool has_code_form(const char *s, unsigned digits)
{
        unsigned n = 0;

        for (; *s; s++) {
                if (*s == ' ')
                        continue;
                if (*s < '0' || *s > '9')
                        return false;
                n++;
        }
        return n == digits;
}

/* The answer is the password: sudo -p or passprompt_override showed the
 * code prompt as a password prompt, or a tool (Ansible's become) answers
 * every prompt with the password. The lengths are compared first; what that
 * tells about the password stays in this process. */
static bool is_the_password(const char *answer, const char *password)
{
        size_t n = strlen(answer);

        return password && strlen(password) == n && secret_equal(answer, password, n);
}

enum kagi_abandon pk_code_answer(char *answer, const char *password, unsigned digits)
{
        enum kagi_abandon why = pk_secret_answer(answer);
        size_t len, n = 0;

        if (why != KAGI_ABANDON_NONE)
                return why;
        if (is_the_password(answer, password) && !has_code_form(answer, digits))
                return KAGI_ABANDON_PASSWORD_AS_CODE;
        len = strlen(answer);
        for (size_t i = 0; i < len; i++)
                if (answer[i] != ' ')
                        answer[n++] = answer[i];
        secret_wipe(answer + n, len - n);           /* no stale digit after the end */
        return n ? KAGI_ABANDON_NONE : KAGI_ABANDON_EMPTY;
}
