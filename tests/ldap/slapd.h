/* A real slapd for C tests: slapd-fixture.sh driven from C.
 *
 * slapd_start() makes a new temporary directory, runs the fixture's start in
 * it (test CA, certificates, directory.ldif, free ports on 127.0.0.1) and
 * reads the URIs it prints. The fixture's watcher stops slapd if this process
 * dies, so a crashing test leaves no server behind; slapd_stop() stops it and
 * removes the directory. The fixture is found through KAGI_SLAPD_FIXTURE,
 * which tests/ldap/meson.build sets for every test it registers.
 */
#pragma once

#include <stdbool.h>

struct kagi_config;
struct directory;

struct slapd {
        char dir[256];               /* ca.pem, client.pem, service.pw, certs/ … */
        char ldap_uri[128];          /* ldap://127.0.0.1:PORT (StartTLS) */
        char ldaps_uri[128];         /* ldaps://127.0.0.1:PORT */
        char base[128];              /* dc=kagi,dc=test */
        char service_dn[128];        /* the broker's bind DN; password in DIR/service.pw */
        bool running;
};

int slapd_start(struct slapd *s);
/* For a test program: SIGPIPE ignored (as kagid does), the broker's log on
 * stderr, then slapd_start. */
int slapd_test_start(struct slapd *s);
void slapd_stop(struct slapd *s);    /* also removes the directory */
/* "stop", "restart", "pause" (SIGSTOP), "resume" */
int slapd_ctl(struct slapd *s, const char *cmd);
/* ldapmodify as the directory manager */
int slapd_modify(struct slapd *s, const char *ldif);
/* How many operations of a kind ("Bind", "Search" …) slapd has begun, from
 * cn=Monitor; each call costs one Bind and one Search itself. -1 on error. */
long slapd_ops(struct slapd *s, const char *op);
/* DIR/NAME */
void slapd_path(const struct slapd *s, const char *name, char *buf, size_t size);

/* A kagi.conf for the LDAP backend pointing at s: ldaps, the service bind,
 * the test CA, timeout 2, cache_ttl 0; `extra` lines (may be NULL) are added
 * to [directory] and may override those. Fails the test on a parse error. */
struct kagi_config *slapd_config(const struct slapd *s, const char *extra);
/* slapd_config(s, extra) and directory_open on it, saying why on stderr
 * when either fails. 0, or negative. */
int slapd_directory(const struct slapd *s, const char *extra, struct kagi_config **ret_cfg,
                    struct directory **ret_dir);
/* config_parse on text; NULL with the message in err. */
struct kagi_config *slapd_config_text(const char *text, char *err, size_t errsz);
/* A TCP port on 127.0.0.1 that nothing listens on. */
int slapd_dead_port(void);
