/* Connections to the directory.
 *
 * Each handle (one per broker worker) keeps two connections: the service
 * connection, bound as the broker's own identity and used for every search,
 * and the password connection, used for nothing but simple binds as users —
 * so the connection that searches is never bound as a user.
 *
 * Both are TLS: ldaps://, or ldap:// with StartTLS, with the server's
 * certificate verified against ca_file (or the system's trust store) and its
 * name. Nothing is sent before TLS is in place; a bind over a connection
 * without TLS is refused here whatever the configuration says.
 *
 * Connecting tries the configured URIs in order. A kept connection that
 * turns out dead is replaced once, transparently; a server that does not
 * answer within the timeout makes the call fail, and the connection is
 * dropped so the next request starts again from the first URI.
 *
 * Every call is bounded twice: by libldap's own timeouts (network, operation
 * and search time limit) and by the guard, a watchdog thread per handle that
 * shuts the socket down when a call outlives its deadline. The guard exists
 * because libldap 2.5 with GnuTLS spins forever in the TLS handshake of an
 * ldaps:// connection whose server accepted TCP but does not answer (a hung
 * or stopped slapd), whatever the network timeout says.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "ldap_internal.h"

#define GUARD_GRACE_MS 250                    /* let libldap's own timeout speak first */
#define MAX_INCOMING (4 * 1024 * 1024)        /* largest LDAP message we accept */

struct ldap_guard {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool quit;
        bool armed;
        bool fired;
        int64_t deadline_ms;
        struct ldap_conn *conn;               /* whose socket the armed call uses */
};

/* ---- the guard ------------------------------------------------------------ */

static void guard_shut(struct ldap_guard *g)
{
        if (g->conn && g->conn->sock >= 0)
                shutdown(g->conn->sock, SHUT_RDWR);
}

static void *guard_main(void *arg)
{
        struct ldap_guard *g = arg;

        pthread_mutex_lock(&g->lock);
        while (!g->quit) {
                struct timespec ts;

                if (!g->armed || g->fired) {
                        pthread_cond_wait(&g->cond, &g->lock);
                        continue;
                }
                ts.tv_sec = g->deadline_ms / 1000;
                ts.tv_nsec = (g->deadline_ms % 1000) * 1000000;
                if (pthread_cond_timedwait(&g->cond, &g->lock, &ts) == ETIMEDOUT && g->armed &&
                    !g->fired && now_ms() >= g->deadline_ms) {
                        g->fired = true;
                        guard_shut(g);
                }
        }
        pthread_mutex_unlock(&g->lock);
        return NULL;
}

static int guard_start(struct ldap_guard **ret)
{
        struct ldap_guard *g = calloc(1, sizeof(*g));
        pthread_condattr_t ca;
        int r;

        if (!g)
                return -ENOMEM;
        pthread_mutex_init(&g->lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);   /* now_ms() is monotonic */
        pthread_cond_init(&g->cond, &ca);
        pthread_condattr_destroy(&ca);
        r = -pthread_create(&g->thread, NULL, guard_main, g);
        if (r < 0) {
                pthread_cond_destroy(&g->cond);
                pthread_mutex_destroy(&g->lock);
                free(g);
                return r;
        }
        *ret = g;
        return 0;
}

static void guard_stop(struct ldap_guard *g)
{
        if (!g)
                return;
        pthread_mutex_lock(&g->lock);
        g->quit = true;
        pthread_cond_signal(&g->cond);
        pthread_mutex_unlock(&g->lock);
        pthread_join(g->thread, NULL);
        pthread_cond_destroy(&g->cond);
        pthread_mutex_destroy(&g->lock);
        free(g);
}

static void guard_arm(struct ldap_guard *g, struct ldap_conn *c, uint32_t timeout_s)
{
        pthread_mutex_lock(&g->lock);
        g->conn = c;
        g->deadline_ms = now_ms() + (int64_t)timeout_s * 1000 + GUARD_GRACE_MS;
        g->armed = true;
        g->fired = false;
        pthread_cond_signal(&g->cond);
        pthread_mutex_unlock(&g->lock);
}

/* Returns whether the guard had to cut the call short. */
static bool guard_disarm(struct ldap_guard *g)
{
        bool fired;

        pthread_mutex_lock(&g->lock);
        fired = g->fired;
        g->armed = false;
        g->fired = false;
        g->conn = NULL;
        pthread_mutex_unlock(&g->lock);
        return fired;
}

/* libldap connected a socket for c: keep a duplicate the guard can shut
 * down. The duplicate is ours, so its number is never reused under us. */
static int conn_added(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr,
                      struct ldap_conncb *ctx)
{
        struct ldap_conn *c = ctx->lc_arg;
        struct ldap_guard *g = c->guard;
        ber_len_t max = MAX_INCOMING;
        int fd = -1, dup_fd;

        (void)ld;
        (void)srv;
        (void)addr;
        if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) != 1 || fd < 0)
                return -1;
        dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (dup_fd < 0)
                return -1;                    /* unguarded is not an option */
        ber_sockbuf_ctrl(sb, LBER_SB_OPT_SET_MAX_INCOMING, &max);
        pthread_mutex_lock(&g->lock);
        if (c->sock >= 0)
                close(c->sock);
        c->sock = dup_fd;
        if (g->fired && g->conn == c)
                guard_shut(g);                /* a reconnect inside a call already too late */
        pthread_mutex_unlock(&g->lock);
        return 0;
}

static void conn_deleted(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
        /* our duplicate is closed with the connection, in ldap_conn_drop */
        (void)ld;
        (void)sb;
        (void)ctx;
}

/* ---- errors ------------------------------------------------------------------ */

/* Everything except a wrong password is "the directory cannot answer". */
static int ldap_errno(int rc, bool fired)
{
        if (fired)
                return -ETIMEDOUT;
        switch (rc) {
        case LDAP_TIMEOUT:
        case LDAP_TIMELIMIT_EXCEEDED:
                return -ETIMEDOUT;
        case LDAP_SERVER_DOWN:
        case LDAP_CONNECT_ERROR:
        case LDAP_BUSY:
        case LDAP_UNAVAILABLE:
                return -EHOSTDOWN;
        case LDAP_NO_MEMORY:
                return -ENOMEM;
        case LDAP_INVALID_CREDENTIALS:
        case LDAP_INAPPROPRIATE_AUTH:
        case LDAP_STRONG_AUTH_REQUIRED:
        case LDAP_CONFIDENTIALITY_REQUIRED:
        case LDAP_INSUFFICIENT_ACCESS:
        case LDAP_UNWILLING_TO_PERFORM:
                return -ECONNREFUSED;
        default:
                return -EPROTO;
        }
}

/* Client-side failures and overloaded servers end the connection: its state
 * is unknown, and the next request should start again from the first URI. */
static bool ends_connection(int rc)
{
        return rc < 0 || rc == LDAP_BUSY || rc == LDAP_UNAVAILABLE;
}

static void describe(LDAP *ld, int rc, bool fired, char *buf, size_t size)
{
        char *diag = NULL;

        if (fired) {
                snprintf(buf, size, "no answer within the timeout");
                return;
        }
        if (ld)
                ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
        snprintf(buf, size, "%s%s%s%s", ldap_err2string(rc), diag && *diag ? " (" : "",
                 diag && *diag ? diag : "", diag && *diag ? ")" : "");
        ldap_memfree(diag);
}

/* ---- files ---------------------------------------------------------------------- */

/* A file kagi trusts: root's or the broker's, not writable by others; a
 * secret one (private key, password) not readable by others either. */
static int check_file(const char *path, bool secret, struct stat *ret_st, int *ret_fd, char *err,
                      size_t errsz)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        struct stat st;
        int r;

        if (fd < 0) {
                r = -errno;
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                return r;
        }
        r = config_check_file(fd, path, geteuid(), err, errsz);
        if (r == 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
                snprintf(err, errsz, "%s: not a regular file", path);
                r = -EINVAL;
        }
        if (r == 0 && secret && (st.st_mode & 077)) {
                snprintf(err, errsz, "%s: readable by group or others (mode %04o); it must be 0600",
                         path, (unsigned)(st.st_mode & 07777));
                r = -EPERM;
        }
        if (r < 0 || !ret_fd) {
                close(fd);
                return r;
        }
        *ret_st = st;
        *ret_fd = fd;
        return 0;
}

static int read_password_file(const char *path, char **ret, char *err, size_t errsz)
{
        _cleanup_(closep) int fd = -1;
        char buf[LDAP_PASSWORD_MAX + 3];
        size_t len = 0;
        struct stat st;
        int r;

        r = check_file(path, true, &st, &fd, err, errsz);
        if (r < 0)
                return r;
        while (len < sizeof(buf)) {
                ssize_t n = read(fd, buf + len, sizeof(buf) - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        /* one trailing newline is how editors and echo leave a file */
        if (len > 0 && buf[len - 1] == '\n')
                len--;
        if (len > 0 && buf[len - 1] == '\r')
                len--;
        if (len == 0 || len > LDAP_PASSWORD_MAX || memchr(buf, '\0', len) || memchr(buf, '\n', len)) {
                snprintf(err, errsz, "%s: must hold one password of 1 to %d bytes on one line", path,
                         LDAP_PASSWORD_MAX);
                secret_wipe(buf, sizeof(buf));
                return -EINVAL;
        }
        buf[len] = '\0';
        *ret = secret_strdup(buf);
        secret_wipe(buf, sizeof(buf));
        return *ret ? 0 : -ENOMEM;
}

/* ---- connecting ------------------------------------------------------------------ */

static bool uri_is_ldaps(const char *uri)
{
        return strncasecmp(uri, "ldaps://", 8) == 0;
}

/* A handle for one URI with every option kagi relies on set explicitly, so
 * nothing from ldap.conf or ~/.ldaprc weakens it. */
static int conn_init(struct ldap_link *l, struct ldap_conn *c, const char *uri, LDAP **ret,
                     char *why, size_t whysz)
{
        const struct kagi_config *cfg = l->cfg;
        struct timeval tv = { .tv_sec = cfg->ldap_timeout };
        int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
        int never = LDAP_DEREF_NEVER, zero = 0;
        LDAP *ld = NULL;
        int rc;

        rc = ldap_initialize(&ld, uri);
        if (rc != LDAP_SUCCESS) {
                snprintf(why, whysz, "%s", ldap_err2string(rc));
                return -EINVAL;
        }
        if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_DEREF, &never) != LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON) != LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12) != LDAP_OPT_SUCCESS ||
            (cfg->ldap_ca_file &&
             ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg->ldap_ca_file) != LDAP_OPT_SUCCESS) ||
            ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE, cfg->ldap_cert_file ? cfg->ldap_cert_file : "") !=
                    LDAP_OPT_SUCCESS ||
            ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE, cfg->ldap_key_file ? cfg->ldap_key_file : "") !=
                    LDAP_OPT_SUCCESS ||
            (c && ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &c->cb) != LDAP_OPT_SUCCESS)) {
                snprintf(why, whysz, "cannot set the connection options");
                ldap_unbind_ext(ld, NULL, NULL);
                return -EINVAL;
        }
        /* a TLS context of this handle's own: CA, client certificate, demand */
        rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
        if (rc != LDAP_OPT_SUCCESS) {
                describe(ld, rc, false, why, whysz);
                snprintf(why + strlen(why), whysz - strlen(why), ": cannot set up TLS with ca_file/cert_file/key_file");
                ldap_unbind_ext(ld, NULL, NULL);
                return -EINVAL;
        }
        *ret = ld;
        return 0;
}

/* One bounded call: rc of the call, and whether the guard ended it. */
#define GUARDED(l, c, fired, call)                                                  \
        ({                                                                          \
                int rc_;                                                            \
                guard_arm((l)->guard, (c), (l)->cfg->ldap_timeout);                 \
                rc_ = (call);                                                       \
                *(fired) = guard_disarm((l)->guard);                                \
                rc_;                                                                \
        })

static int service_bind(struct ldap_link *l, struct ldap_conn *c, bool *fired)
{
        const struct kagi_config *cfg = l->cfg;
        struct berval cred;

        if (cfg->ldap_sasl_external) {
                /* an empty initial response: "the identity of my certificate" */
                cred = (struct berval){ .bv_val = (char *)"", .bv_len = 0 };
                return GUARDED(l, c, fired, ldap_sasl_bind_s(c->ld, NULL, "EXTERNAL", &cred, NULL, NULL, NULL));
        }
        if (!cfg->ldap_bind_dn)
                return LDAP_SUCCESS;          /* anonymous: whatever the directory allows */
        cred.bv_val = l->bind_password;
        cred.bv_len = strlen(l->bind_password);
        return GUARDED(l, c, fired,
                       ldap_sasl_bind_s(c->ld, cfg->ldap_bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL));
}

/* Connect to one URI: TCP, TLS, and for the service connection the bind. */
static int conn_open_uri(struct ldap_link *l, struct ldap_conn *c, const char *uri)
{
        char why[512];
        bool fired = false;
        int rc, r;

        r = conn_init(l, c, uri, &c->ld, why, sizeof(why));
        if (r < 0) {
                log_err("directory: %s: %s", uri, why);
                return r;
        }
        rc = GUARDED(l, c, &fired, ldap_connect(c->ld));
        if (rc == LDAP_SUCCESS && !uri_is_ldaps(uri))
                rc = GUARDED(l, c, &fired, ldap_start_tls_s(c->ld, NULL, NULL));
        if (rc == LDAP_SUCCESS && !ldap_tls_inplace(c->ld)) {
                log_err("directory: %s: no TLS on the connection; refusing to use it", uri);
                ldap_conn_drop(l, c);
                return -EPROTO;
        }
        if (rc == LDAP_SUCCESS && c->service)
                rc = service_bind(l, c, &fired);
        if (rc != LDAP_SUCCESS) {
                describe(c->ld, rc, fired, why, sizeof(why));
                /* TCP got through (the socket callback ran): TLS is what failed,
                 * and GnuTLS's own words for it are "(unknown error code)" */
                if (!fired && c->sock >= 0 && (rc == LDAP_CONNECT_ERROR || rc == LDAP_SERVER_DOWN))
                        snprintf(why, sizeof(why), "TLS failed: is ca_file the CA of the server's "
                                                   "certificate, and is the URI's host name in it?");
                log_warn("directory: %s: %s", uri, why);
                ldap_conn_drop(l, c);
                return ldap_errno(rc, fired);
        }
        c->uri = uri;
        return 0;
}

int ldap_conn_ready(struct ldap_link *l, struct ldap_conn *c)
{
        const struct strv *uris = &l->cfg->ldap_uri;
        int r = -EHOSTDOWN;

        if (c->ld)
                return 0;
        for (size_t i = 0; i < uris->n; i++) {
                r = conn_open_uri(l, c, uris->v[i]);
                if (r == 0) {
                        if (i > 0)
                                log_warn("directory: using %s (earlier URIs did not answer)", uris->v[i]);
                        return 0;
                }
        }
        log_err("directory: no configured server answered; refusing until one does");
        return r;
}

void ldap_conn_drop(struct ldap_link *l, struct ldap_conn *c)
{
        if (c->ld)
                ldap_unbind_ext(c->ld, NULL, NULL);
        c->ld = NULL;
        c->uri = NULL;
        pthread_mutex_lock(&l->guard->lock);
        if (c->sock >= 0)
                close(c->sock);
        c->sock = -1;
        pthread_mutex_unlock(&l->guard->lock);
}

/* ---- operations -------------------------------------------------------------------- */

typedef int (*conn_op)(LDAP *ld, void *arg);

/* Runs op on c, connecting first if need be, bounded by the guard. Returns 0
 * with the server's result code in *ret_rc for the caller to judge, or a
 * negative errno when there was no connection or it failed under op (then it
 * is dropped and the failure logged). A kept connection the server closed
 * meanwhile is replaced and op run once more. */
static int conn_run(struct ldap_link *l, struct ldap_conn *c, conn_op op, void *arg, const char *what,
                    int *ret_rc)
{
        for (int attempt = 0;; attempt++) {
                bool kept = c->ld != NULL, fired = false;
                char why[512];
                int rc, r;

                r = ldap_conn_ready(l, c);
                if (r < 0)
                        return r;
                rc = GUARDED(l, c, &fired, op(c->ld, arg));
                if (!fired && !ends_connection(rc)) {
                        *ret_rc = rc;
                        return 0;
                }
                describe(c->ld, rc, fired, why, sizeof(why));
                ldap_conn_drop(l, c);
                if (kept && attempt == 0 && !fired && rc == LDAP_SERVER_DOWN)
                        continue;
                log_err("directory: %s: %s", what, why);
                return ldap_errno(rc, fired);
        }
}

struct search {
        const char *base;
        int scope;
        const char *filter;
        const char **attrs;
        int sizelimit;
        uint32_t timeout;
        LDAPControl **ctrls;                  /* NULL, or the paged-results request */
        LDAPMessage *res;
};

static int op_search(LDAP *ld, void *arg)
{
        struct search *s = arg;
        struct timeval tv = { .tv_sec = s->timeout };

        ldap_msgfree(s->res);                 /* from a try on a dead connection */
        s->res = NULL;
        return ldap_search_ext_s(ld, s->base, s->scope, s->filter, (char **)s->attrs, 0, s->ctrls,
                                 NULL, &tv, s->sizelimit, &s->res);
}

/* Runs s: 0, 1 when the size limit cut the answer short, or a negative errno. */
static int run_search(struct ldap_link *l, struct search *s)
{
        char why[512];
        int rc = LDAP_OTHER, r;

        r = conn_run(l, &l->svc, op_search, s, "search", &rc);
        if (r == 0 && (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED))
                return rc == LDAP_SUCCESS ? 0 : 1;
        ldap_msgfree(s->res);
        s->res = NULL;
        if (r < 0)
                return r;
        describe(l->svc.ld, rc, false, why, sizeof(why));
        log_err("directory: search under %s failed: %s", s->base, why);
        return ldap_errno(rc, false);
}

int ldap_link_search(struct ldap_link *l, const char *base, int scope, const char *filter,
                     const char **attrs, int sizelimit, LDAPMessage **ret)
{
        struct search s = { .base = base, .scope = scope, .filter = filter, .attrs = attrs, .sizelimit = sizelimit,
                            .timeout = l->cfg->ldap_timeout };
        int r = run_search(l, &s);

        if (r >= 0)
                *ret = s.res;
        return r;
}

/* The server's cookie for the next page, from the result of this one; an
 * empty one when this was the last page, or when the server ignored the
 * (non-critical) request and sent everything at once. */
static int next_cookie(LDAP *ld, LDAPMessage *res, struct berval *cookie)
{
        LDAPControl **ctrls = NULL, *c;
        ber_int_t estimate = 0;
        int rc, err = LDAP_SUCCESS;

        ber_memfree(cookie->bv_val);
        *cookie = (struct berval){ 0 };
        rc = ldap_parse_result(ld, res, &err, NULL, NULL, NULL, &ctrls, 0);
        if (rc != LDAP_SUCCESS)
                return -EPROTO;
        c = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL);
        rc = c ? ldap_parse_pageresponse_control(ld, c, &estimate, cookie) : LDAP_SUCCESS;
        ldap_controls_free(ctrls);
        return rc == LDAP_SUCCESS ? 0 : -EPROTO;
}

int ldap_link_search_page(struct ldap_link *l, const char *base, int scope, const char *filter,
                          const char **attrs, int page_size, struct berval *cookie, LDAPMessage **ret)
{
        struct search s = { .base = base, .scope = scope, .filter = filter, .attrs = attrs,
                            .sizelimit = LDAP_NO_LIMIT, .timeout = l->cfg->ldap_timeout };
        LDAPControl *page = NULL, *ctrls[2] = { NULL, NULL };
        int r;

        r = ldap_conn_ready(l, &l->svc);
        if (r < 0)
                return r;
        if (ldap_create_page_control(l->svc.ld, (ber_int_t)page_size, cookie, 0, &page) != LDAP_SUCCESS)
                return -ENOMEM;
        ctrls[0] = page;
        s.ctrls = ctrls;
        r = run_search(l, &s);
        ldap_control_free(page);
        if (r == 1) {
                /* an administrative limit on the whole answer: it is not all */
                log_err("directory: the size limit cut the listing under %s short (slapd counts every page "
                        "against it: give kagi's bind DN limits size.prtotal=unlimited, see kagi.conf(5))",
                        base);
                r = -E2BIG;
        }
        if (r == 0 && (r = next_cookie(l->svc.ld, s.res, cookie)) < 0)
                log_err("directory: the answer under %s has an unreadable paging control", base);
        if (r < 0) {
                ldap_msgfree(s.res);
                return r;
        }
        *ret = s.res;
        return 0;
}

struct bind {
        const char *dn;
        struct berval cred;
        bool cleartext;
};

static int op_bind(LDAP *ld, void *arg)
{
        struct bind *b = arg;

        if (!ldap_tls_inplace(ld)) {
                b->cleartext = true;
                return LDAP_LOCAL_ERROR;      /* ends the connection, sends nothing */
        }
        return ldap_sasl_bind_s(ld, b->dn, LDAP_SASL_SIMPLE, &b->cred, NULL, NULL, NULL);
}

int ldap_link_check_password(struct ldap_link *l, const char *dn, const char *password)
{
        struct bind b = { .dn = dn, .cred = { .bv_val = (char *)password, .bv_len = strlen(password) } };
        char why[512];
        int rc = LDAP_OTHER, r;

        r = conn_run(l, &l->usr, op_bind, &b, "password check", &rc);
        if (b.cleartext) {
                log_err("directory: refusing to send a password without TLS");
                return -EPROTO;
        }
        if (r < 0)
                return r;
        if (rc == LDAP_SUCCESS)
                return 0;
        if (rc == LDAP_INVALID_CREDENTIALS)
                return -EACCES;
        describe(l->usr.ld, rc, false, why, sizeof(why));
        log_err("directory: password check for %s could not be done: %s", dn, why);
        return ldap_errno(rc, false);
}

/* ---- the link ------------------------------------------------------------------------ */

/* At start, not at the first login: every URI parses, the TLS files are
 * safe and load. Also makes libldap initialise TLS on this one thread. */
static int check_setup(struct ldap_link *l, char *err, size_t errsz)
{
        const struct kagi_config *cfg = l->cfg;
        const char *files[] = { cfg->ldap_ca_file, cfg->ldap_cert_file, cfg->ldap_key_file };
        char why[512];
        LDAP *ld = NULL;
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                if (files[i] && (r = check_file(files[i], i == 2, NULL, NULL, err, errsz)) < 0)
                        return r;
        }
        for (size_t i = 0; i < cfg->ldap_uri.n; i++) {
                LDAPURLDesc *lud = NULL;

                if (ldap_url_parse(cfg->ldap_uri.v[i], &lud) != LDAP_URL_SUCCESS || !lud->lud_host ||
                    !*lud->lud_host || (lud->lud_dn && *lud->lud_dn)) {
                        snprintf(err, errsz, "uri: '%s' is not ldaps://HOST[:PORT] or ldap://HOST[:PORT]",
                                 cfg->ldap_uri.v[i]);
                        ldap_free_urldesc(lud);
                        return -EINVAL;
                }
                ldap_free_urldesc(lud);
        }
        r = conn_init(l, NULL, cfg->ldap_uri.v[0], &ld, why, sizeof(why));
        if (r < 0) {
                snprintf(err, errsz, "[directory]: %s", why);
                return r;
        }
        ldap_unbind_ext(ld, NULL, NULL);
        return 0;
}

int ldap_link_open(struct ldap_link *l, const struct kagi_config *c, char *err, size_t errsz)
{
        int r;

        *l = (struct ldap_link){ .cfg = c };
        l->svc = (struct ldap_conn){ .sock = -1, .service = true };
        l->usr = (struct ldap_conn){ .sock = -1, .service = false };
        r = check_setup(l, err, errsz);
        if (r < 0)
                return r;
        if (c->ldap_bind_dn) {
                r = read_password_file(c->ldap_bind_password_file, &l->bind_password, err, errsz);
                if (r < 0)
                        return r;
        }
        r = guard_start(&l->guard);
        if (r < 0) {
                snprintf(err, errsz, "directory: cannot start the timeout watchdog: %s", strerror(-r));
                secret_strfreep(&l->bind_password);
                return r;
        }
        l->svc.guard = l->usr.guard = l->guard;
        l->svc.cb = (struct ldap_conncb){ .lc_add = conn_added, .lc_del = conn_deleted, .lc_arg = &l->svc };
        l->usr.cb = (struct ldap_conncb){ .lc_add = conn_added, .lc_del = conn_deleted, .lc_arg = &l->usr };
        return 0;
}

void ldap_link_close(struct ldap_link *l)
{
        if (l->guard) {
                ldap_conn_drop(l, &l->svc);
                ldap_conn_drop(l, &l->usr);
                guard_stop(l->guard);
        }
        secret_strfreep(&l->bind_password);
        *l = (struct ldap_link){ 0 };
}
