/* The card stack, loaded when a card is to be used. pam_kagi.so itself
 * links libpam, libinih and libc only: a password + TOTP login does not
 * pay for pcsclite and libcrypto, which pam_kagi_card.so (beside this
 * module) brings in. The handle lives on the PAM handle, not in a global,
 * and is closed at pam_end. */
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "pam_kagi.h"

#define DATA_PLUGIN "pam_kagi_card_plugin"
#define PLUGIN_NAME "pam_kagi_card.so"
#define PCSCD_SOCKET "/run/pcscd/pcscd.comm"     /* libpcsclite's default */

struct plugin {
        void *handle;
        const struct pk_card_ops *ops;
};

static void plugin_free(pam_handle_t *pamh, void *data, int status)
{
        struct plugin *p = data;

        (void)pamh;
        (void)status;
        if (p->handle)
                dlclose(p->handle);
        free(p);
}

/* pam_kagi_card.so from the directory this module was loaded from: it must
 * be root's and writable by nobody else, as PAM's own module directory. */
static void *open_plugin(struct pk *pk)
{
        _cleanup_(freep) char *dir = NULL;
        char path[4096];
        struct stat st;
        Dl_info info;
        void *h;

        if (!dladdr((void *)pk_card_probe, &info) || !info.dli_fname || !(dir = strdup(info.dli_fname)))
                return NULL;
        snprintf(path, sizeof(path), "%s/%s", dirname(dir), PLUGIN_NAME);
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022)) {
                pam_syslog(pk->pamh, LOG_ERR, "%s: missing, or not root's and writable by others only by root",
                           path);
                return NULL;
        }
        h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h)
                pam_syslog(pk->pamh, LOG_ERR, "cannot load the card stack: %s", dlerror());
        return h;
}

static const struct pk_card_ops *card_ops(struct pk *pk)
{
        const struct pk_card_ops *(*get)(void);
        const void *data = NULL;
        struct plugin *p;

        if (pam_get_data(pk->pamh, DATA_PLUGIN, &data) == PAM_SUCCESS && data)
                return ((const struct plugin *)data)->ops;
        p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        p->handle = open_plugin(pk);
        get = p->handle ? (const struct pk_card_ops *(*)(void))dlsym(p->handle, "pam_kagi_card_ops") : NULL;
        p->ops = get ? get() : NULL;
        if (p->ops && (p->ops->version != PK_CARD_OPS_VERSION || p->ops->pk_size != sizeof(struct pk))) {
                pam_syslog(pk->pamh, LOG_ERR, "%s does not belong to this pam_kagi.so", PLUGIN_NAME);
                p->ops = NULL;
        }
        /* remembered either way: one attempt per transaction */
        if (pam_set_data(pk->pamh, DATA_PLUGIN, p, plugin_free) != PAM_SUCCESS) {
                plugin_free(pk->pamh, p, 0);
                return NULL;
        }
        return p->ops;
}

/* Could a card be used here at all? */
static bool card_possible(struct pk *pk)
{
        const char *sock = getenv("PCSCLITE_CSOCK_NAME");
        const struct kagi_zone *z = config_zone(pk->cfg, pk->args.zone ? pk->args.zone : pk->cfg->default_zone);

        /* a zone kagid does not know is kagid's to refuse; let it see a card */
        if (z && !zone_accepts_cards(z))
                return false;
        /* no pcscd, no reader: nothing to load */
        return access(sock && *sock ? sock : PCSCD_SOCKET, F_OK) == 0;
}

int pk_card_probe(struct pk *pk, struct pk_card *c)
{
        const struct pk_card_ops *ops;

        *c = (struct pk_card){ .state = PK_CARD_NO_READER, .err = -ENXIO };
        if (pk_login_is_remote(pk)) {
                c->state = PK_CARD_REMOTE;
                return 0;
        }
        if (!card_possible(pk))
                return 0;
        ops = card_ops(pk);
        if (!ops) {
                c->err = -ELIBACC;
                return 0;
        }
        ops->probe(pk, c);
        c->ops = ops;
        return 0;
}

void pk_card_done(struct pk_card *c)
{
        if (c->ctx && c->ops)
                c->ops->done(c);
        c->ctx = NULL;
}

enum kagi_decision pk_card_login(struct pk *pk, struct pk_card *c, struct kagi_msg *m)
{
        const struct pk_card_ops *ops;

        if (c->state == PK_CARD_REMOTE || pk_login_is_remote(pk)) {
                /* kagid offers no card set here; should it ask anyway, never
                 * spend a PIN try of a card someone else left in the reader */
                pam_syslog(pk->pamh, LOG_NOTICE, "card login for %s refused: not at the card reader", pk->user_log);
                pk_refuse_msg(pk, MSG_NO_METHOD);
                return KAGI_DENY_POLICY;
        }
        ops = card_ops(pk);
        if (!ops) {
                pam_syslog(pk->pamh, LOG_ERR, "card login for %s impossible: the card stack cannot be loaded",
                           pk->user_log);
                pk_refuse_msg(pk, MSG_NO_READER);
                return KAGI_DENY_CARD;
        }
        c->ops = ops;
        return ops->login(pk, c, m);
}
