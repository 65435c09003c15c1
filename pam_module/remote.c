/* Is the person logging in at this machine's card reader? A card in the
 * reader proves possession only for someone sitting at it: over ssh it is
 * whoever left it there, and three wrong PINs block a My Number Card until
 * its owner visits the office. For a remote login the module never touches
 * the reader (no PC/SC call at all) and refuses a card login even if the
 * broker asked for one; the broker refuses one on its own too. */
#include <security/pam_ext.h>
#include <syslog.h>

#include "pam_kagi.h"

bool pk_login_is_remote(struct pk *pk)
{
        enum login_place where = login_place(pk->cfg, pk->service, pk->rhost);

        if (where != LOGIN_LOCAL && pk->args.debug)
                pam_syslog(pk->pamh, LOG_DEBUG, "%s: not at the card reader (%s); the reader is not used", pk->user_log,
                           where == LOGIN_REMOTE_HOST ? "PAM_RHOST is set" : "service not in [card] local_services");
        return where != LOGIN_LOCAL;
}
