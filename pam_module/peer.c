/* Is it kagid on the other end? Before a password or a PIN goes over the
 * socket, and before its answer is believed: a socket someone else could
 * place (a directory others can write, a stale path) must not impersonate
 * the broker. kagid runs as root, or as the account [broker] user names. */
#include <errno.h>
#include <security/pam_ext.h>
#include <string.h>
#include <syslog.h>

#include "pam_kagi.h"

int pk_check_broker(struct pk *pk, int fd, const char *path)
{
        uid_t owner = 0, peer = (uid_t)-1;
        char err[256];
        int r;

        r = config_broker_uid(pk->cfg, &owner, err, sizeof(err));
        if (r < 0) {
                pam_syslog(pk->pamh, LOG_ERR, "%s; refusing to trust %s", err, path);
                return r;
        }
        r = io_check_server(fd, owner, &peer);
        if (r == -EPERM)
                pam_syslog(pk->pamh, LOG_ERR,
                           "%s is served by uid %u, not by root%s: not kagid; refusing (for %s)", path,
                           (unsigned)peer, pk->cfg->broker_user ? " or [broker] user" : "", pk->user);
        else if (r < 0)
                pam_syslog(pk->pamh, LOG_ERR, "cannot tell who serves %s: %s; refusing", path, strerror(-r));
        return r;
}
