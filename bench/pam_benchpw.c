/* pam_benchpw.so: the benchmark's password module. It does what pam_matrix
 * did for the first benchmark — ask for the password (setting PAM_AUTHTOK,
 * which kagi's stacked mode needs as proof that a password module ran) and
 * compare it with the account's, in clear — but finds the account in a hash
 * table on disk (passtable.h) instead of reading a file line by line, so
 * that the floor every stack stands on does not grow with the number of
 * accounts.
 *
 *   auth  …  pam_benchpw.so table=PATH
 *
 * Authentication only (the benchmark never calls pam_setcred).
 * Never installed; bench/ only. */
#include <errno.h>
#include <fcntl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdbool.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "passtable.h"

/* Constant time over the whole field: no timing to read, as a real module. */
static bool field_equal(const char *a, const char *b)
{
        const volatile unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
        unsigned char diff = 0;

        for (size_t i = 0; i < PASSTABLE_FIELD; i++)
                diff |= x[i] ^ y[i];
        return diff == 0;
}

/* The account's record: 0, -ENOENT, or another error. */
static int lookup(int fd, const char *user, struct passtable_record *ret)
{
        struct passtable_header h;
        char want[PASSTABLE_FIELD] = { 0 };
        uint64_t slot;

        if (strlen(user) >= PASSTABLE_FIELD)
                return -ENOENT;
        memcpy(want, user, strlen(user));
        if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h.magic, PASSTABLE_MAGIC, 8) != 0 ||
            h.slots == 0)
                return -EINVAL;
        slot = passtable_slot(user, h.slots);
        for (uint64_t probe = 0; probe < h.slots; probe++, slot = (slot + 1) % h.slots) {
                if (pread(fd, ret, sizeof(*ret), (off_t)passtable_offset(slot)) != (ssize_t)sizeof(*ret))
                        return -EIO;
                if (!ret->name[0])
                        return -ENOENT;
                if (memcmp(ret->name, want, sizeof(want)) == 0)
                        return 0;
        }
        return -ENOENT;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        struct passtable_record rec;
        char given[PASSTABLE_FIELD] = { 0 };
        const char *table = NULL, *user = NULL, *password = NULL;
        int fd, r;

        (void)flags;
        for (int i = 0; i < argc; i++) {
                if (strncmp(argv[i], "table=", 6) == 0) {
                        table = argv[i] + 6;
                } else {
                        pam_syslog(pamh, LOG_ERR, "unknown argument %s", argv[i]);
                        return PAM_SERVICE_ERR;
                }
        }
        if (!table) {
                pam_syslog(pamh, LOG_ERR, "table= is required");
                return PAM_SERVICE_ERR;
        }
        r = pam_get_user(pamh, &user, NULL);
        if (r != PAM_SUCCESS || !user)
                return r == PAM_SUCCESS ? PAM_USER_UNKNOWN : r;
        /* asks through the conversation and keeps it as PAM_AUTHTOK */
        r = pam_get_authtok(pamh, PAM_AUTHTOK, &password, NULL);
        if (r != PAM_SUCCESS || !password)
                return r == PAM_SUCCESS ? PAM_AUTH_ERR : r;
        if (strlen(password) >= PASSTABLE_FIELD)
                return PAM_AUTH_ERR;
        memcpy(given, password, strlen(password));
        fd = open(table, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                pam_syslog(pamh, LOG_ERR, "%s: %s", table, strerror(errno));
                return PAM_AUTHINFO_UNAVAIL;
        }
        r = lookup(fd, user, &rec);
        close(fd);
        if (r == -ENOENT)
                r = PAM_USER_UNKNOWN;
        else if (r < 0)
                r = PAM_AUTHINFO_UNAVAIL;
        else
                r = field_equal(rec.password, given) ? PAM_SUCCESS : PAM_AUTH_ERR;
        explicit_bzero(&rec, sizeof(rec));
        explicit_bzero(given, sizeof(given));
        return r;
}
