/* Setting up one module call and asking the broker. */
#include <errno.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "pam_kagi.h"

static const char *item(pam_handle_t *pamh, int type)
{
        const void *v = NULL;

        return pam_get_item(pamh, type, &v) == PAM_SUCCESS ? v : NULL;
}

/* The configuration, read once per PAM transaction: it is kept on the PAM
 * handle (not in a global), keyed by its path, for the module's other calls
 * in the same login (preauth, auth, account, session). */
#define DATA_CONFIG "pam_kagi_config"

struct cached_config {
        char *path;
        struct kagi_config *cfg;
};

static void cached_config_free(pam_handle_t *pamh, void *data, int status)
{
        struct cached_config *c = data;

        (void)pamh;
        (void)status;
        free(c->path);
        config_free(c->cfg);
        free(c);
}

static int load_config(struct pk *pk, char *err, size_t errsz)
{
        const void *data = NULL;
        struct cached_config *c;
        struct kagi_config *cfg = NULL;
        int r;

        if (pam_get_data(pk->pamh, DATA_CONFIG, &data) == PAM_SUCCESS && data &&
            strcmp(((const struct cached_config *)data)->path, pk->args.config) == 0) {
                pk->cfg = ((const struct cached_config *)data)->cfg;
                return 0;
        }
        r = config_load(pk->args.config, 0, &cfg, err, errsz);
        if (r == -ENOENT && pk->args.socket) {
                /* socket= given and no file: the built-in defaults serve */
                r = config_parse((const uint8_t *)"", 0, "(defaults)", &cfg, err, errsz);
        }
        if (r < 0)
                return r;
        c = calloc(1, sizeof(*c));
        if (!c || !(c->path = strdup(pk->args.config))) {
                free(c);
                config_free(cfg);
                snprintf(err, errsz, "out of memory");
                return -ENOMEM;
        }
        c->cfg = cfg;
        if (pam_set_data(pk->pamh, DATA_CONFIG, c, cached_config_free) != PAM_SUCCESS) {
                cached_config_free(pk->pamh, c, 0);
                snprintf(err, errsz, "cannot keep the configuration on the PAM handle");
                return -ENOMEM;
        }
        pk->cfg = cfg;
        return 0;
}

int pk_open(struct pk *pk, pam_handle_t *pamh, int flags, int argc, const char **argv, bool need_user)
{
        char err[1024];
        int r;

        *pk = (struct pk){ .pamh = pamh, .flags = flags };
        if (pk_args_parse(argc, argv, &pk->args, err, sizeof(err)) < 0) {
                pam_syslog(pamh, LOG_ERR, "%s", err);
                return PAM_SERVICE_ERR;
        }
        r = load_config(pk, err, sizeof(err));
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "%s", err);
                return PAM_SERVICE_ERR;
        }
        if (need_user) {
                r = pam_get_user(pamh, &pk->user, NULL);
                if (r != PAM_SUCCESS || !pk->user || !*pk->user) {
                        pam_syslog(pamh, LOG_NOTICE, "cannot determine the user name");
                        pk_close(pk);
                        /* a refusal, never PAM_USER_UNKNOWN: stacks skip
                         * that (user_unknown=ignore) */
                        return r == PAM_SUCCESS || r == PAM_USER_UNKNOWN ? PAM_AUTH_ERR : r;
                }
                if (strlen(pk->user) > 256) {
                        pam_syslog(pamh, LOG_NOTICE, "user name longer than 256 bytes refused");
                        pk_close(pk);
                        return PAM_AUTH_ERR;
                }
                text_escape_str(pk->user, pk->user_log, sizeof(pk->user_log));
        }
        pk->service = item(pamh, PAM_SERVICE);
        pk->tty = item(pamh, PAM_TTY);
        pk->rhost = item(pamh, PAM_RHOST);
        pk->ruser = item(pamh, PAM_RUSER);
        /* sshd names the terminal "ssh" until a pty exists (PAM_TTY_KLUDGE,
         * OpenSSH on Linux): this conversation is keyboard-interactive */
        pk->over_ssh = pk->tty && strcmp(pk->tty, "ssh") == 0;
        if (gethostname(pk->host, sizeof(pk->host) - 1) < 0)
                pk->host[0] = '\0';
        return PAM_SUCCESS;
}

void pk_close(struct pk *pk)
{
        /* the configuration stays with the PAM handle until pam_end */
        pk->cfg = NULL;
}

struct frame *pk_request(const struct pk *pk, uint8_t type, uint32_t flags)
{
        struct frame *f = frame_new(type);
        const void *person = NULL;

        if (!f)
                return NULL;
        frame_put_str(f, KAGI_T_USER, pk->user);
        frame_put_str(f, KAGI_T_SERVICE, pk->service ? pk->service : "unknown");
        frame_put_str(f, KAGI_T_TTY, pk->tty);
        frame_put_str(f, KAGI_T_RHOST, pk->rhost);
        frame_put_str(f, KAGI_T_RUSER, pk->ruser);
        frame_put_str(f, KAGI_T_ZONE, pk->args.zone);
        frame_put_str(f, KAGI_T_HOST, pk->host);
        frame_put_u32(f, KAGI_T_FLAGS, flags);
        /* the member a shared ID's login named, for every later step */
        if (pam_get_data(pk->pamh, PK_DATA_PERSON, &person) == PAM_SUCCESS && person)
                frame_put_str(f, KAGI_T_PERSON, person);
        return f;
}

enum kagi_decision pk_call(struct pk *pk, struct frame *req, struct kagi_msg *ret)
{
        const char *path = pk->args.socket ? pk->args.socket : pk->cfg->socket;
        int64_t deadline = now_ms() + (int64_t)pk->cfg->pam_timeout * 1000;
        _cleanup_(closep) int fd = -1;
        const char *step = "connect to";
        int r;

        if (!req || req->error) {
                pam_syslog(pk->pamh, LOG_ERR, "request for %s could not be built (values too long?)", pk->user_log);
                return KAGI_ERROR;
        }
        /* kagid commits nothing for a request whose client has given up */
        frame_put_u64(req, KAGI_T_DEADLINE, (uint64_t)deadline);
        if (req->error) {
                pam_syslog(pk->pamh, LOG_ERR, "request for %s could not be built (values too long?)", pk->user_log);
                return KAGI_ERROR;
        }
        r = io_connect_unix(path, deadline, &fd);
        if (r >= 0 && pk_check_broker(pk, fd, path) < 0)
                return KAGI_UNAVAILABLE;
        if (r >= 0) {
                step = "send to";
                r = frame_send(fd, req, deadline);
        }
        if (r >= 0) {
                step = "receive from";
                r = frame_recv(fd, ret, deadline);
        }
        if (r >= 0 && ret->type != KAGI_REP_RESULT)
                r = -EBADMSG;
        if (r < 0) {
                pam_syslog(pk->pamh, LOG_ERR, "cannot %s kagid at %s for %s: %s; refusing", step, path, pk->user_log,
                           r == -ETIMEDOUT ? "timed out" : strerror(-r));
                return KAGI_UNAVAILABLE;
        }
        if (pk->args.debug)
                pam_syslog(pk->pamh, LOG_DEBUG, "%s for %s: %s", kagi_msg_type_name(req->buf[5]), pk->user_log,
                           kagi_decision_name(msg_u32(ret, KAGI_T_DECISION, KAGI_ERROR)));
        return (enum kagi_decision)msg_u32(ret, KAGI_T_DECISION, KAGI_ERROR);
}
