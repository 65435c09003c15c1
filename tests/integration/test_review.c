/* kagictl report review (issue 14) against a real kagid whose store holds
 * real logins through the PAM stack (successes, failures, a lock and its
 * unlock, a lock still in place), card logins played with the test PKI (a
 * replaced card, a revoked one tried again, a card presented for another's
 * ID), and a generated history of logins over 200 days before them (written
 * through the store API with the fixture's audit key, so the chain holds).
 * Each section is checked against what happened; each format is parsed back
 * by real parsers (check-review.py); a tampered record is × in the report.
 *
 * The cast (harness.h): alice 田中 花子, logs in daily and now, by password
 * and TOTP and by card; bob, whose card is lost and tried again; carol, last
 * login 120 days ago, now locked and left so; dave (wheel: privileged),
 * presented alice's card; eve (kagi-admin), whose only card is revoked: no
 * factor left; frank, enrolled 150 days ago, never logged in, locked by
 * three wrong codes and unlocked by root.
 *
 * Privileged (PRIV-1, PRIV-2, PRIV-4): the roles ops (alice, and wheel:
 * dave, who never asks) and dba (alice; approval, break-glass), both onto
 * root. 60 days ago alice's ops grant of 30 minutes had two sessions that
 * ran 50 minutes in all (written to the store: kagid would have ended
 * them). Today she asks for ops, su's to root under it, extends it by 10
 * minutes and gives it back; then asks for dba by break-glass.
 * Shared (SID-1): madoguchi01, for alice, bob and the group counter
 * (carol). 100 days ago someone used it before it was a shared ID, nobody
 * named (written to the store). Today alice logs in to it, then holds it
 * while bob is refused (in use, no misuse); dave, no member, is refused;
 * so is someone with the ID's own password. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <security/pam_appl.h>
#include <sqlite3.h>

#include "card_client.h"
#include "harness.h"
#include "secrets.h"
#include "store.h"

#define DAY 86400
#define HISTORY_DAYS 200

#define SHARED "madoguchi01"

static struct fx *fx;
static char alice_ec_serial[130], bob_serial[130], jpki_serial[130];
static int step = 1;                          /* TOTP steps are used once, in order: after real_logins' */
static int64_t old_grant_at, old_use_at;      /* the history's grant and shared-ID use */

/* ---- building the story ----------------------------------------------------- */

static void history_record(struct store *s, const uint8_t *key, int64_t t, const char *event, const char *account,
                           const char *result, const char *factor)
{
        struct audit_record r = {
                .time_us = t * 1000000,
                .event = event,
                .account = account,
                .person = strcmp(event, "enroll") == 0 ? "root" : account,
                .terminal = "mn-ws-0001:tty1",
                .service = strcmp(event, "enroll") == 0 ? "kagictl" : "login",
                .factor = factor,
                .result = result,
                .reason = "",
        };

        assert_int_equal(audit_append(s, key, &r), 0);
}

/* f's store and audit key, while its kagid is stopped, for write(). */
static void with_store(struct fx *f, void (*write)(struct store *s, const uint8_t *key))
{
        char dir[FX_PATH + 8], err[512];
        struct kagi_keys keys;
        struct store *s = NULL;

        snprintf(dir, sizeof(dir), "%s/keys", f->dir);
        assert_int_equal(keys_load(dir, geteuid(), false, &keys, err, sizeof(err)), 0);
        if (store_open(f->db, geteuid(), &s, err, sizeof(err)) < 0)
                fail_msg("store_open: %s", err);
        assert_int_equal(store_begin(s), 0);
        write(s, keys.audit);
        assert_int_equal(store_commit(s), 0);
        store_close(s);
        keys_wipe(&keys);
}

/* 200 days of logins before today: alice, bob and dave every day at 09:00,
 * bob failing a code first every tenth day, carol until 120 days ago;
 * frank's enrollment 150 days ago. */
static void write_history(struct store *s, const uint8_t *key)
{
        int64_t today = (int64_t)time(NULL) / DAY * DAY;

        history_record(s, key, today - 150 * DAY, "enroll", "frank", "success", "totp");
        for (int d = HISTORY_DAYS; d >= 1; d--) {
                int64_t t = today - d * DAY + 9 * 3600;
                const char *who[] = { "alice", "bob", "dave", d > 120 ? "carol" : NULL };

                if (d % 10 == 0)
                        history_record(s, key, t - 60, "auth", "bob", "failure", "password+totp");
                for (size_t i = 0; i < ARRAY_SIZE(who) && who[i]; i++) {
                        history_record(s, key, t + (int64_t)i, "auth", who[i], "success", "password+totp");
                        history_record(s, key, t + (int64_t)i, "account", who[i], "success", "-");
                }
        }
}

static void history_session(struct store *s, const char *account, const char *person, int64_t grant, int64_t from,
                            int64_t to)
{
        struct session_row r = { .pid = 4242, .started = from, .tty_uid = -1, .grant = grant };

        snprintf(r.id, sizeof(r.id), "%016llx", (unsigned long long)from * 31 + (unsigned long long)to);
        snprintf(r.account, sizeof(r.account), "%s", account);
        snprintf(r.person, sizeof(r.person), "%s", person);
        snprintf(r.service, sizeof(r.service), "%s", grant ? "kagi-su" : "login");
        snprintf(r.terminal, sizeof(r.terminal), "mn-ws-0009:tty1");
        snprintf(r.state, sizeof(r.state), "open");
        if (grant)
                snprintf(r.role, sizeof(r.role), "ops");
        assert_int_equal(store_session_add(s, &r), 0);
        snprintf(r.state, sizeof(r.state), "ended");
        snprintf(r.end_how, sizeof(r.end_how), "logout");
        r.ended = to;
        r.last_gone = to;
        assert_int_equal(store_session_put(s, &r), 0);
}

/* PRIV-4: alice's ops grant of 30 minutes, 60 days ago, whose two sessions
 * (40 minutes each, overlapping by 30) ran 50 minutes in all. SID-1: a use
 * of madoguchi01 100 days ago that names nobody. */
static void write_policy_history(struct store *s, const uint8_t *key)
{
        int64_t today = (int64_t)time(NULL) / DAY * DAY;
        struct grant_row g = { .requested = 1800 };

        (void)key;
        old_grant_at = today - 60 * DAY + 10 * 3600;
        old_use_at = today - 100 * DAY + 13 * 3600;
        snprintf(g.role, sizeof(g.role), "ops");
        snprintf(g.person, sizeof(g.person), "alice");
        snprintf(g.reason, sizeof(g.reason), "year-end batch");
        snprintf(g.state, sizeof(g.state), "active");
        g.created = g.starts = old_grant_at;
        g.ends = old_grant_at + 1800;
        assert_int_equal(store_grant_add(s, &g), 0);
        snprintf(g.state, sizeof(g.state), "expired");
        g.closed = g.ends;
        snprintf(g.closed_by, sizeof(g.closed_by), "kagid");
        assert_int_equal(store_grant_put(s, &g), 0);
        history_session(s, "root", "alice", g.id, old_grant_at, old_grant_at + 2400);
        history_session(s, "root", "alice", g.id, old_grant_at + 600, old_grant_at + 3000);
        history_session(s, SHARED, SHARED, 0, old_use_at, old_use_at + 1200);
}

static void kagictl_ok(const char *const argv[])
{
        char out[8192];

        if (fx_kagictl(fx, out, sizeof(out), argv) != 0)
                fail_msg("kagictl %s %s failed: %s", argv[0], argv[1], out);
}

static void card_register(const char *user, const char *cert, bool retire_old)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", card_pki, cert);
        kagictl_ok((const char *[]){ "card", "register", user, "--cert", path, retire_old ? "--retire-old" : NULL,
                                     NULL });
}

/* The serial of user's card in state, from card list --json. */
static void serial_of(const char *user, const char *state, char serial[130])
{
        char out[16384], want[64];
        const char *p;

        assert_int_equal(fx_kagictl(fx, out, sizeof(out), (const char *[]){ "card", "list", user, "--json", NULL }), 0);
        snprintf(want, sizeof(want), "\"state\":\"%s\"", state);
        p = strstr(out, want);
        assert_non_null(p);
        /* the serial of the same object: the one before the state, or after */
        while (p > out && strncmp(p, "\"serial\":\"", 10) != 0 && *p != '{')
                p--;
        if (*p == '{')
                p = strstr(p, "\"serial\":\"");
        assert_non_null(p);
        sscanf(p + 10, "%129[0-9A-Fa-f]", serial);
}

static void wrong_code(const char *user)
{
        struct fx_conv c;
        char pw[64];

        snprintf(pw, sizeof(pw), "pw-%s", user);
        assert_int_equal(fx_login(fx, user, pw, "000000", &c), PAM_AUTH_ERR);
}

static void real_logins(void)
{
        struct card_answer a;
        struct fx_conv c;

        /* alice, with a session on tty3; bob after one wrong code; dave */
        fx_right_answers(&c, "alice");
        assert_int_equal(fx_pam_items(fx, "kagi-stack", "alice", "tty3", NULL, NULL, &c,
                                      FX_AUTH | FX_ACCOUNT | FX_SESSION),
                         PAM_SUCCESS);
        wrong_code("bob");
        assert_int_equal(fx_login_right(fx, "bob", &c), PAM_SUCCESS);
        assert_int_equal(fx_login_right(fx, "dave", &c), PAM_SUCCESS);

        /* LOCK-1: frank locked by three wrong codes, unlocked with a reason */
        for (int i = 0; i < 3; i++)
                wrong_code("frank");
        kagictl_ok((const char *[]){ "unlock", "frank", "--reason", "identity confirmed by phone", NULL });
        /* carol locked, and left so */
        for (int i = 0; i < 3; i++)
                wrong_code("carol");

        /* CARD-3: alice's card, used, then replaced */
        card_register("alice", "alice-rsa.pem", false);
        assert_int_equal(card_login(fx, "alice", "alice-rsa.pem", "alice-rsa.key", &a), KAGI_ALLOW);
        card_register("alice", "alice-ec.pem", true);
        serial_of("alice", "active", alice_ec_serial);
        /* CARD-2: bob's card lost, revoked, and tried again */
        card_register("bob", "bob-rsa.pem", false);
        serial_of("bob", "active", bob_serial);
        kagictl_ok((const char *[]){ "card", "revoke", bob_serial, "--reason", "lost on the train", NULL });
        assert_int_equal(card_login(fx, "bob", "bob-rsa.pem", "bob-rsa.key", &a), KAGI_DENY_CARD);
        /* CARD-1: alice's card presented for dave */
        assert_int_equal(card_login(fx, "dave", "alice-ec.pem", "alice-ec.key", &a), KAGI_DENY_CARD);
        /* ACC-1: eve's only card revoked, and she has no TOTP */
        card_register("eve", "alice-jpki.pem", false);
        serial_of("eve", "active", jpki_serial);
        kagictl_ok((const char *[]){ "card", "revoke", jpki_serial, "--reason", "left the office", NULL });
}

/* The next unused code of the one secret everyone is enrolled with. */
static const char *next_code(char code[16])
{
        fx_code(FX_SECRET_ALICE, step++, code);
        return code;
}

/* kagictl as the person (uid), typing password and code at its prompts. */
static void ctl_typed(uid_t uid, const char *person, const char *const argv[])
{
        char input[128], code[16], out[4096];

        snprintf(input, sizeof(input), "pw-%s\n%s\n", person, next_code(code));
        if (fx_kagictl_typed(fx, uid, input, out, sizeof(out), argv) != 0)
                fail_msg("kagictl %s %s as %s: %s", argv[0], argv[1], person, out);
}

/* The answers of someone logging in to the shared ID by personal ID. */
static void shared_answers(struct fx_conv *c, const char *person, char password[64], char code[16])
{
        memset(c, 0, sizeof(*c));
        snprintf(password, 64, "pw-%s", person);
        c->answers[0] = person;
        c->answers[1] = password;
        c->answers[2] = next_code(code);
}

static void policy_logins(void)
{
        char password[64], code[16], out[4096];
        struct fx_conv c;
        pid_t held;

        /* PRIV: alice's ops grant (2), su to root under it, 10 minutes more,
         * given back; then dba by break-glass (3) */
        ctl_typed(1000, "alice",
                  (const char *[]){ "grant", "request", "ops", "--for", "30m", "--reason", "patch openssl", NULL });
        memset(&c, 0, sizeof(c));
        c.answers[0] = "pw-alice";
        c.answers[1] = next_code(code);
        assert_int_equal(fx_pam_items(fx, "kagi-su", "root", "pts/4", NULL, "alice", &c,
                                      FX_AUTH | FX_ACCOUNT | FX_SESSION),
                         PAM_SUCCESS);
        ctl_typed(1000, "alice",
                  (const char *[]){ "grant", "extend", "2", "--by", "10m", "--reason", "the reboot took longer",
                                    NULL });
        if (fx_kagictl_as(fx, 1000, 1000, out, sizeof(out),
                          (const char *[]){ "grant", "revoke", "2", "--reason", "done", NULL }) != 0)
                fail_msg("grant revoke: %s", out);
        ctl_typed(1000, "alice",
                  (const char *[]){ "grant", "request", "dba", "--for", "15m", "--reason", "restore a table",
                                    "--break-glass", NULL });
        /* and a request nobody approves in time (4): it lapses */
        ctl_typed(1000, "alice",
                  (const char *[]){ "grant", "request", "late", "--for", "15m", "--reason", "weekend job", NULL });
        sleep(3);

        /* SID-1: alice uses the shared ID; holds it while bob is refused */
        shared_answers(&c, "alice", password, code);
        assert_int_equal(fx_pam_items(fx, "kagi-stack", SHARED, "pts/1", NULL, NULL, &c,
                                      FX_AUTH | FX_ACCOUNT | FX_SESSION),
                         PAM_SUCCESS);
        shared_answers(&c, "alice", password, code);
        assert_int_equal(fx_hold(fx, "kagi-stack", SHARED, "pts/1", NULL, &c, &held), PAM_SUCCESS);
        shared_answers(&c, "bob", password, code);
        assert_int_not_equal(fx_pam_items(fx, "kagi-stack", SHARED, "pts/2", NULL, NULL, &c, FX_AUTH | FX_ACCOUNT),
                             PAM_SUCCESS);
        /* kagid speaks Japanese here ([broker] language) */
        assert_true(fx_said(&c, "このIDは使用中です"));
        assert_int_equal(fx_unhold(held, SIGTERM), PAM_SUCCESS);
        /* dave is no member: refused as misuse */
        shared_answers(&c, "dave", password, code);
        assert_int_not_equal(fx_pam_items(fx, "kagi-stack", SHARED, "pts/3", NULL, NULL, &c, FX_AUTH), PAM_SUCCESS);
        assert_true(fx_said(&c, "共用ID " SHARED " の利用者として登録されていません"));
        /* and someone with the ID's own password, naming the ID itself */
        memset(&c, 0, sizeof(c));
        c.answers[0] = SHARED;
        c.answers[1] = "pw-shared";
        c.answers[2] = "000000";
        assert_int_not_equal(fx_pam_items(fx, "kagi-stack", SHARED, "pts/5", NULL, NULL, &c, FX_AUTH), PAM_SUCCESS);
}

static int group_setup(void **state)
{
        char extra[2048], cmd[2 * FX_PATH];

        (void)state;
        if (card_pki_make() < 0)
                return -1;
        snprintf(extra, sizeof(extra),
                 "[broker]\nlanguage = ja\n[card]\nca_file = %s/ca.pem\ncrl_file = %s/crl.pem\n"
                 "[totp]\nwindow = 10\n"
                 "[role ops]\ntargets = root\nusers = alice\ngroups = wheel\nmax_duration = 1h\n"
                 "[role dba]\ntargets = root\nusers = alice\nmax_duration = 2h\napproval = yes\n"
                 "approvers = kagi-admin\nbreak_glass = yes\n"
                 "[role late]\ntargets = root\nusers = alice\nmax_duration = 1h\napproval = yes\n"
                 "approvers = kagi-admin\napproval_wait = 1s\n"
                 "[shared " SHARED "]\nusers = alice bob\ngroups = counter\n",
                 card_pki, card_pki);
        fx = fx_new(extra, (const char *[]){ "alice", "bob", "carol", "dave", "frank", NULL });
        if (!fx)
                return -1;
        /* alice's name in the directory is Japanese, as a municipality's are */
        fx_stop(fx, SIGTERM);
        snprintf(cmd, sizeof(cmd), "sed -i 's/^alice:x:1000:1000:Alice Example:/alice:x:1000:1000:田中 花子:/' '%s'",
                 fx->passwd);
        if (system(cmd) != 0)
                return -1;
        with_store(fx, write_history);
        with_store(fx, write_policy_history);
        if (fx_start(fx) < 0)
                return -1;
        real_logins();
        policy_logins();
        return 0;
}

static int group_teardown(void **state)
{
        (void)state;
        card_pki_remove();
        return fx_free(fx);
}

/* ---- asking for the review ------------------------------------------------------ */

static int review(const char *format, const char *lang, const char *out, char *msg, size_t msgsz)
{
        const char *argv[] = { "report", "review", "--format", format, "--out", out, lang ? "--lang" : NULL, lang,
                               NULL };

        return fx_kagictl(fx, msg, msgsz, argv);
}

static json_object *model(void)
{
        char path[FX_PATH + 32], msg[4096];
        json_object *j;

        snprintf(path, sizeof(path), "%s/review.json", fx->dir);
        if (review("json", "en", path, msg, sizeof(msg)) != 0)
                fail_msg("report review failed: %s", msg);
        j = json_object_from_file(path);
        assert_non_null(j);
        return j;
}

static json_object *get(json_object *o, const char *path)
{
        char key[64];
        const char *dot;

        while (o && *path) {
                dot = strchr(path, '.');
                snprintf(key, sizeof(key), "%.*s", (int)(dot ? dot - path : (ptrdiff_t)strlen(path)), path);
                if (!json_object_object_get_ex(o, key, &o))
                        return NULL;
                path = dot ? dot + 1 : path + strlen(path);
        }
        return o;
}

static const char *str(json_object *o, const char *path)
{
        json_object *v = get(o, path);

        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int64_t num(json_object *o, const char *path)
{
        return json_object_get_int64(get(o, path));
}

/* The item of array whose member key is value. */
static json_object *item(json_object *array, const char *key, const char *value)
{
        for (size_t i = 0; array && i < json_object_array_length(array); i++) {
                json_object *it = json_object_array_get_idx(array, i);
                const char *v = str(it, key);

                if (v && strcmp(v, value) == 0)
                        return it;
        }
        fail_msg("no item with %s = %s", key, value);
        return NULL;
}

static size_t count(json_object *array, const char *key, const char *value)
{
        size_t n = 0;

        for (size_t i = 0; array && i < json_object_array_length(array); i++) {
                const char *v = str(json_object_array_get_idx(array, i), key);

                n += v && strcmp(v, value) == 0;
        }
        return n;
}

static bool has_factor(json_object *account, const char *factor)
{
        json_object *f = get(account, "factors");

        for (size_t i = 0; f && i < json_object_array_length(f); i++)
                if (strcmp(json_object_get_string(json_object_array_get_idx(f, i)), factor) == 0)
                        return true;
        return false;
}

/* summary: the mark of check id (one department column: NSS has none) */
static const char *mark(json_object *m, const char *id)
{
        json_object *checks = get(m, "summary.checks"), *c = item(checks, "id", id);

        return json_object_get_string(json_object_array_get_idx(get(c, "marks"), 0));
}

static void json_putp(json_object **j)
{
        json_object_put(*j);
}

/* ---- the sections ------------------------------------------------------------------ */

static void accounts_have_their_type_factors_and_last_logins(void **state)
{
        _cleanup_(json_putp) json_object *m = model();
        json_object *items = get(m, "accounts.items"), *a;
        int64_t now = (int64_t)time(NULL);

        (void)state;
        a = item(items, "name", "alice");
        assert_string_equal(str(a, "display_name"), "田中 花子");
        assert_string_equal(str(a, "type"), "personal");
        assert_string_equal(str(a, "zone"), "default");
        assert_true(has_factor(a, "card") && has_factor(a, "totp"));
        assert_false(get(a, "locked") && json_object_get_boolean(get(a, "locked")));
        /* today's login, through PAM */
        assert_non_null(str(a, "last_success"));
        assert_memory_equal(str(a, "last_success"), "20", 2);
        /* PRIV-3's privileged accounts: dave is in wheel */
        assert_string_equal(str(item(items, "name", "dave"), "type"), "privileged");
        /* carol: locked now, her last login the history's */
        a = item(items, "name", "carol");
        assert_true(json_object_get_boolean(get(a, "locked")));
        assert_int_equal(num(a, "failures"), 3);
        {
                struct tm tm = { 0 };
                const char *t = str(a, "last_success");

                assert_non_null(t);
                assert_non_null(strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm));
                assert_in_range((now - timegm(&tm)) / DAY, 120, 122);
        }
        /* frank: unlocked, his failures cleared; eve: no factor left */
        a = item(items, "name", "frank");
        assert_false(json_object_get_boolean(get(a, "locked")));
        assert_int_equal(num(a, "failures"), 0);
        assert_null(get(a, "last_success"));
        assert_int_equal(json_object_array_length(get(item(items, "name", "eve"), "factors")), 0);
        /* the directory answered for every one */
        assert_true(json_object_get_boolean(get(m, "meta.directory.answered")));
        assert_string_equal(str(m, "meta.directory.backend"), "nss");
        /* the default language is kagid's [broker] language */
        assert_string_equal(str(m, "meta.generator"), "kagid 0.1.0");
}

static void dormant_accounts_are_the_idle_and_the_never_used(void **state)
{
        _cleanup_(json_putp) json_object *m = model();
        json_object *d = get(m, "dormant.items");

        (void)state;
        /* ACC-2: carol idle 120 days; frank enrolled 150 days ago, never in */
        assert_in_range(num(item(d, "account", "carol"), "idle_days"), 120, 122);
        assert_true(json_object_get_boolean(get(item(d, "account", "frank"), "never")));
        assert_int_equal(count(d, "account", "alice") + count(d, "account", "bob") + count(d, "account", "dave"), 0);
        assert_string_equal(mark(m, "dormant"), "advise");
}

static void accounts_without_their_zones_factors_are_listed(void **state)
{
        _cleanup_(json_putp) json_object *m = model();
        json_object *missing = get(m, "factors.missing"), *e = item(missing, "account", "eve");

        (void)state;
        /* ACC-1: eve's card is revoked and she has no TOTP */
        assert_int_equal(json_object_array_length(missing), 1);
        assert_int_equal(json_object_array_length(get(e, "required")), 2);
        assert_int_equal(json_object_array_length(get(e, "enrolled")), 0);
        assert_string_equal(mark(m, "factors"), "advise");
        /* nobody holds credentials kagi would refuse */
        assert_int_equal(json_object_array_length(get(m, "factors.not_admitted")), 0);
}

static void locks_say_why_and_how_they_ended(void **state)
{
        _cleanup_(json_putp) json_object *m = model();
        json_object *locks = get(m, "locks.items"), *l, *f;

        (void)state;
        /* LOCK-1: frank's three wrong codes, then root's unlock with the reason */
        l = item(locks, "account", "frank");
        f = get(l, "failures");
        assert_int_equal(json_object_array_length(f), 3);
        assert_string_equal(str(json_object_array_get_idx(f, 0), "factor"), "password+totp");
        assert_string_equal(str(l, "unlock"), "admin");
        assert_string_equal(str(l, "unlocked_by"), "root");
        assert_string_equal(str(l, "unlock_reason"), "identity confirmed by phone");
        assert_non_null(str(l, "unlocked_at"));
        /* carol's is still in place; the report says for how long */
        l = item(locks, "account", "carol");
        assert_null(get(l, "unlocked_at"));
        assert_int_equal(json_object_array_length(get(l, "failures")), 3);
        assert_true(num(l, "locked_minutes") >= 0);
        assert_int_equal(json_object_array_length(locks), 2);
        assert_string_equal(mark(m, "lockout"), "advise");
}

static void cards_show_the_replaced_the_revoked_and_the_lent(void **state)
{
        _cleanup_(json_putp) json_object *m = model();
        json_object *c = get(m, "cards"), *r;

        (void)state;
        /* CARD-3: alice's active card is her new one; the old is retired for it */
        assert_string_equal(str(item(get(c, "active"), "person", "alice"), "serial"), alice_ec_serial);
        assert_int_equal(json_object_array_length(get(c, "active")), 1);
        assert_string_equal(str(item(get(c, "retired"), "person", "alice"), "replaced_by"), alice_ec_serial);
        /* CARD-2: bob's, revoked by root, tried once after and refused */
        r = item(get(c, "revoked"), "serial", bob_serial);
        assert_string_equal(str(r, "person"), "bob");
        assert_string_equal(str(r, "revoked_by"), "root");
        assert_string_equal(str(r, "reason"), "lost on the train");
        assert_int_equal(num(r, "attempts_after"), 1);
        assert_int_equal(num(r, "accepted_after"), 0);
        assert_int_equal(num(item(get(c, "revoked"), "serial", jpki_serial), "attempts_after"), 0);
        /* CARD-1: alice's card presented for dave */
        r = item(get(c, "sharing_refusals"), "account", "dave");
        assert_string_equal(str(r, "card_owner"), "alice");
        assert_string_equal(str(r, "serial"), alice_ec_serial);
        assert_string_equal(str(r, "kind"), "other_person");
        assert_string_equal(mark(m, "card_sharing"), "advise");
        assert_string_equal(mark(m, "card_revocation"), "advise");
        assert_string_equal(mark(m, "card_retirement"), "good");
}

static void the_chain_is_verified_whole(void **state)
{
        _cleanup_(json_putp) json_object *m = model();
        json_object *i = get(m, "integrity");
        char out[4096];
        long long records = 0;

        (void)state;
        assert_true(json_object_get_boolean(get(i, "verified")));
        assert_true(json_object_get_boolean(get(i, "ok")));
        assert_string_equal(str(i, "scope"), "chain");
        /* as many as audit verify counts (the review itself writes none) */
        assert_int_equal(fx_kagictl(fx, out, sizeof(out), (const char *[]){ "audit", "verify", NULL }), 0);
        assert_int_equal(sscanf(strstr(out, "OK: ") + 4, "%lld", &records), 1);
        assert_int_equal(num(i, "records"), records);
        /* the history is in the year; frank's enrollment too */
        assert_int_equal(num(i, "period_records"), records);
        assert_string_equal(mark(m, "audit_integrity"), "good");
}

static void days_count_logins_and_failures(void **state)
{
        _cleanup_(json_putp) json_object *m = model();
        json_object *days = get(m, "series.days"), *today;
        int64_t logins = 0, failures = 0, locks = 0;
        size_t n = json_object_array_length(days);

        (void)state;
        /* every day of the year up to now, the quiet ones too */
        assert_in_range(n, 365, 367);
        for (size_t i = 0; i < n; i++) {
                logins += num(json_object_array_get_idx(days, i), "logins");
                failures += num(json_object_array_get_idx(days, i), "failures");
                locks += num(json_object_array_get_idx(days, i), "locks");
        }
        /* the history's 3 a day for 200 days and carol's 80, and today's
         * three by PAM (alice, bob, dave), alice's by card, her su to root
         * and her two to the shared ID (the history's grant and shared-ID
         * use are in the store only, with no audit record) */
        assert_int_equal(logins, 3 * HISTORY_DAYS + 80 + 4 + 3);
        /* bob's every tenth day, his and frank's and carol's wrong codes, the
         * revoked card, the card presented for dave, dave at the shared ID */
        assert_int_equal(failures, HISTORY_DAYS / 10 + 1 + 3 + 3 + 1 + 1 + 1);
        assert_int_equal(locks, 2);
        today = json_object_array_get_idx(days, n - 1);
        assert_int_equal(num(today, "logins"), 4 + 3);
        assert_int_equal(num(get(m, "summary.totals"), "logins"), logins);
}

static bool list_is(json_object *list, const char *const want[])
{
        size_t n = 0;

        for (; want[n]; n++)
                if (!list || n >= json_object_array_length(list) ||
                    strcmp(json_object_get_string(json_object_array_get_idx(list, n)), want[n]) != 0)
                        return false;
        return list && json_object_array_length(list) == n;
}

/* The findings of rule about subject. */
static size_t findings(json_object *m, const char *rule, const char *subject)
{
        json_object *f = get(m, "summary.findings");
        size_t n = 0;

        for (size_t i = 0; f && i < json_object_array_length(f); i++) {
                json_object *it = json_object_array_get_idx(f, i);

                n += strcmp(str(it, "rule"), rule) == 0 && (!subject || (str(it, "subject") &&
                                                                         strcmp(str(it, "subject"), subject) == 0));
        }
        return n;
}

static void privileged_roles_holders_and_grants(void **state)
{
        _cleanup_(json_putp) json_object *m = model();
        json_object *p = get(m, "privileged"), *r, *g;

        (void)state;
        /* the roles as kagi.conf has them; dave holds ops through wheel */
        r = item(get(p, "roles"), "name", "ops");
        assert_true(list_is(get(r, "targets"), (const char *[]){ "root", NULL }));
        assert_true(list_is(get(r, "holders"), (const char *[]){ "alice", "dave", NULL }));
        assert_int_equal(num(r, "max_minutes"), 60);
        assert_false(json_object_get_boolean(get(r, "approval")));
        assert_false(json_object_get_boolean(get(r, "break_glass")));
        r = item(get(p, "roles"), "name", "dba");
        assert_true(list_is(get(r, "holders"), (const char *[]){ "alice", NULL }));
        assert_true(json_object_get_boolean(get(r, "approval")));
        assert_string_equal(str(r, "approvers"), "kagi-admin");
        assert_true(json_object_get_boolean(get(r, "break_glass")));
        assert_int_equal(num(r, "max_minutes"), 120);

        assert_int_equal(json_object_array_length(get(p, "grants")), 4);
        /* 60 days ago: two sessions of 40 minutes, 30 of them together, are
         * 50 minutes of use (not 80), past the 30 granted */
        g = item(get(p, "grants"), "id", "1");
        assert_string_equal(str(g, "role"), "ops");
        assert_string_equal(str(g, "person"), "alice");
        assert_int_equal(num(g, "requested_minutes"), 30);
        assert_int_equal(num(g, "actual_minutes"), 50);
        assert_string_equal(str(g, "end"), "expired");
        assert_string_equal(str(g, "ended_by"), "kagid");
        assert_non_null(str(g, "ended_at"));
        /* today's: asked, used by su, extended, given back by alice */
        g = item(get(p, "grants"), "id", "2");
        assert_string_equal(str(g, "reason"), "patch openssl");
        assert_int_equal(num(g, "requested_minutes"), 30);
        assert_int_equal(num(g, "extended_minutes"), 10);
        assert_in_range(num(g, "actual_minutes"), 0, 1);
        assert_string_equal(str(g, "end"), "ended");
        assert_string_equal(str(g, "ended_by"), "alice");
        assert_true(json_object_is_type(get(g, "approver"), json_type_null) || !get(g, "approver"));
        assert_false(json_object_get_boolean(get(g, "break_glass")));
        assert_non_null(str(g, "started_at"));
        /* and dba by break-glass, still active, nobody's approval */
        g = item(get(p, "grants"), "id", "3");
        assert_string_equal(str(g, "role"), "dba");
        assert_true(json_object_get_boolean(get(g, "break_glass")));
        assert_string_equal(str(g, "end"), "active");
        assert_null(str(g, "approver"));
        assert_null(str(g, "ended_at"));
        assert_int_equal(num(g, "actual_minutes"), 0);
        /* the request nobody approved within approval_wait: lapsed, nothing opened */
        g = item(get(p, "grants"), "id", "4");
        assert_string_equal(str(g, "end"), "lapsed");
        assert_string_equal(str(g, "ended_by"), "kagid");
        assert_true(json_object_is_type(get(g, "actual_minutes"), json_type_null));

        /* derived by the report: dave has used nothing; alice 50 minutes and more */
        assert_int_equal(num(item(get(p, "holders"), "person", "dave"), "grants"), 0);
        assert_true(num(item(get(p, "minutes"), "person", "alice"), "minutes") >= 50);
        assert_int_equal(num(item(get(p, "minutes"), "person", "alice"), "break_glass"), 1);
        /* the role's target is a privileged account */
        assert_string_equal(str(item(get(m, "accounts.items"), "name", "root"), "type"), "privileged");

        /* PRIV-1 △ dave; PRIV-2 △ the break-glass (ops needs no approval);
         * PRIV-4 × the overrun, and △ the extension */
        assert_int_equal(findings(m, "PRIV-1.unused", "dave"), 1);
        assert_int_equal(findings(m, "PRIV-1.unused", "alice"), 0);
        assert_string_equal(mark(m, "privileged_holders"), "advise");
        assert_int_equal(findings(m, "PRIV-2.break-glass", "alice"), 1);
        assert_int_equal(findings(m, "PRIV-2.unapproved", NULL) + findings(m, "PRIV-2.self-approved", NULL), 0);
        assert_string_equal(mark(m, "privileged_approval"), "advise");
        assert_int_equal(findings(m, "PRIV-4.overrun", NULL), 1);
        assert_int_equal(findings(m, "PRIV-4.extended", NULL), 1);
        assert_string_equal(mark(m, "privileged_time"), "fix");
}

static void shared_ids_their_uses_and_refusals(void **state)
{
        _cleanup_(json_putp) json_object *m = model();
        json_object *s = get(m, "shared"), *id, *u, *a;
        json_object *uses = get(s, "uses");
        size_t by_alice = 0;

        (void)state;
        /* members: the users named, then the group's (carol, through counter) */
        id = item(get(s, "ids"), "account", SHARED);
        assert_true(list_is(get(id, "members"), (const char *[]){ "alice", "bob", "carol", NULL }));
        assert_int_equal(num(id, "max_concurrent"), 1);
        assert_string_equal(str(id, "display_name"), "Counter 1 (shared)");
        a = item(get(m, "accounts.items"), "name", SHARED);
        assert_string_equal(str(a, "type"), "shared");
        assert_true(list_is(get(a, "members"), (const char *[]){ "alice", "bob", "carol", NULL }));
        /* its logins are the members' own factors: none missing for it */
        assert_int_equal(count(get(m, "factors.missing"), "account", SHARED), 0);

        /* the history's use named nobody; alice's two today are hers */
        assert_int_equal(json_object_array_length(uses), 3);
        u = json_object_array_get_idx(uses, 0);
        assert_true(json_object_is_type(get(u, "person"), json_type_null));
        assert_int_equal(num(u, "minutes"), 20);
        for (size_t i = 1; i < 3; i++) {
                u = json_object_array_get_idx(uses, i);
                by_alice += str(u, "person") && strcmp(str(u, "person"), "alice") == 0;
                assert_string_equal(str(u, "service"), "kagi-stack");
                assert_non_null(str(u, "end"));
        }
        assert_int_equal(by_alice, 2);

        /* dave refused as no member; bob only because alice had it */
        u = item(get(s, "refusals"), "person", "dave");
        assert_string_equal(str(u, "reason"), "not_member");
        assert_string_equal(str(u, "account"), SHARED);
        assert_string_equal(str(u, "detail"), "dave is not a member of shared ID " SHARED);
        u = item(get(s, "refusals"), "person", "bob");
        assert_string_equal(str(u, "reason"), "concurrent");
        assert_int_equal(count(get(s, "refusals"), "reason", "not_member"), 1);
        /* the ID's own password: nobody named */
        u = item(get(s, "refusals"), "reason", "shared_password");
        assert_null(str(u, "person"));
        assert_string_equal(str(u, "detail"), "a shared ID, with no member named");
        assert_int_equal(json_object_array_length(get(s, "refusals")), 3);

        /* SID-1 × the use nobody is named for; △ dave's refusal; bob's is no finding */
        assert_int_equal(findings(m, "SID-1.unattributed", SHARED), 1);
        assert_int_equal(findings(m, "SID-1.refused", "dave"), 1);
        assert_int_equal(findings(m, "SID-1.refused", "bob"), 0);
        assert_int_equal(findings(m, "SID-1.refused", SHARED), 1);
        assert_int_equal(findings(m, "SID-1.non-member", NULL), 0);
        assert_string_equal(mark(m, "shared_ids"), "fix");
}

/* The marks as the committee reads them: the summary of the text format. */
static void the_summary_shows_the_privileged_and_shared_marks(void **state)
{
        char path[FX_PATH + 32], msg[4096], *text = NULL;
        size_t n = 0;
        FILE *f;

        (void)state;
        snprintf(path, sizeof(path), "%s/summary.text", fx->dir);
        assert_int_equal(review("text", "ja", path, msg, sizeof(msg)), 0);
        f = fopen(path, "re");
        assert_non_null(f);
        assert_true(getdelim(&text, &n, '\0', f) > 0);
        fclose(f);
        assert_non_null(strstr(text, "特権ID保有者の最小化      PRIV-1  △"));
        assert_non_null(strstr(text, "特権付与の承認            PRIV-2  △"));
        assert_non_null(strstr(text, "特権使用時間の制限        PRIV-4  ×"));
        assert_non_null(strstr(text, "共用IDの利用者限定        SID-1   ×"));
        free(text);
}

/* ---- the formats, the rights, the command line ------------------------------------- */

static void every_format_parses_back(void **state)
{
        const char *formats[] = { "text", "csv", "json", "html" }, *langs[] = { "ja", "en" };
        char path[FX_PATH + 32], msg[4096], cmd[4 * FX_PATH];
        struct stat st;

        (void)state;
        for (size_t l = 0; l < ARRAY_SIZE(langs); l++)
                for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
                        snprintf(path, sizeof(path), "%s/review.%s.%s", fx->dir, langs[l], formats[i]);
                        if (review(formats[i], langs[l], path, msg, sizeof(msg)) != 0)
                                fail_msg("report review --format %s: %s", formats[i], msg);
                        /* names and login times of people: the owner's alone */
                        assert_int_equal(stat(path, &st), 0);
                        assert_int_equal(st.st_mode & 07777, 0600);
                }
        snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s' '%s' '%s' '%s'", getenv("KAGI_REVIEW_CHECK"),
                 getenv("KAGI_REPORT_FORMATS"), getenv("KAGI_REPORT_SCHEMA"), fx->dir);
        assert_int_equal(system(cmd), 0);
}

static void without_lang_it_is_kagids_language(void **state)
{
        char out[1 << 16];

        (void)state;
        assert_int_equal(fx_kagictl(fx, out, sizeof(out), (const char *[]){ "report", "review", NULL }), 0);
        assert_non_null(strstr(out, "アカウント棚卸し結果報告書"));
        assert_non_null(strstr(out, "田中 花子"));
}

static void only_root_and_the_admin_group_may_ask(void **state)
{
        char out[1 << 16];
        const char *argv[] = { "report", "review", "--lang", "en", NULL };

        (void)state;
        /* alice (1000) is neither */
        assert_int_equal(fx_kagictl_as(fx, 1000, 1000, out, sizeof(out), argv), 1);
        assert_non_null(strstr(out, "permission denied"));
        /* eve (1004) is in kagi-admin */
        assert_int_equal(fx_kagictl_as(fx, 1004, 1004, out, sizeof(out), argv), 0);
        assert_non_null(strstr(out, "Account review"));
}

static void usage_errors_and_an_absent_kagid_have_their_exit_codes(void **state)
{
        char out[4096];

        (void)state;
        assert_int_equal(fx_kagictl(fx, out, sizeof(out), (const char *[]){ "report", "review", "--format", "pdf", NULL }),
                         2);
        assert_int_equal(fx_kagictl(fx, out, sizeof(out),
                                    (const char *[]){ "report", "review", "--from", "2025-13-01", NULL }),
                         2);
        assert_int_equal(fx_kagictl(fx, out, sizeof(out), (const char *[]){ "report", "review", "--json", NULL }), 2);
        /* a period that ends before it begins is kagid's refusal */
        assert_int_equal(fx_kagictl(fx, out, sizeof(out),
                                    (const char *[]){ "report", "review", "--from", "2025-09-30", "--to", "2025-04-01",
                                                      NULL }),
                         1);
        assert_non_null(strstr(out, "ends before it begins"));
        assert_int_equal(fx_kagictl(fx, out, sizeof(out),
                                    (const char *[]){ "--socket", "/nonexistent/kagid.sock", "report", "review", NULL }),
                         3);
}

static void a_period_is_a_period(void **state)
{
        char path[FX_PATH + 32], msg[4096], from[16], to[16];
        _cleanup_(json_putp) json_object *m = NULL;
        time_t t = time(NULL) - 150 * DAY, u = time(NULL) - 100 * DAY;
        struct tm tm;

        (void)state;
        strftime(from, sizeof(from), "%Y-%m-%d", localtime_r(&t, &tm));
        strftime(to, sizeof(to), "%Y-%m-%d", localtime_r(&u, &tm));
        snprintf(path, sizeof(path), "%s/period.json", fx->dir);
        {
                const char *argv[] = { "report", "review", "--from", from, "--to", to, "--dormant-days", "30",
                                       "--format", "json", "--out", path, NULL };

                if (fx_kagictl(fx, msg, sizeof(msg), argv) != 0)
                        fail_msg("report review --from %s --to %s: %s", from, to, msg);
        }
        m = json_object_from_file(path);
        assert_non_null(m);
        assert_int_equal(num(m, "meta.dormant_days"), 30);
        /* 51 days: today's locks are not in it, nor today's logins */
        assert_int_equal(json_object_array_length(get(m, "series.days")), 51);
        assert_int_equal(json_object_array_length(get(m, "locks.items")), 0);
        /* carol was still logging in at its start: idle 20 days at its end, dormant after 30? no */
        assert_int_equal(count(get(m, "dormant.items"), "account", "carol"), 0);
        assert_int_equal(count(get(m, "dormant.items"), "account", "frank"), 1);
}

/* Last: it breaks the chain for good. */
static void a_tampered_record_is_a_cross(void **state)
{
        char path[FX_PATH + 32], msg[4096], *text = NULL;
        _cleanup_(json_putp) json_object *m = NULL;
        sqlite3 *db;
        FILE *f;
        size_t n = 0;

        (void)state;
        /* LOG-3: one of frank's failures becomes a success behind kagi's back */
        assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        assert_int_equal(sqlite3_exec(db,
                                      "UPDATE audit SET result = 'success' WHERE seq = (SELECT min(seq) FROM audit "
                                      "WHERE account = 'frank' AND result = 'failure')",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
        sqlite3_close(db);
        m = model();
        assert_false(json_object_get_boolean(get(m, "integrity.ok")));
        assert_true(num(m, "integrity.first_bad") > 0);
        assert_string_equal(mark(m, "audit_integrity"), "fix");
        assert_non_null(item(get(m, "summary.findings"), "rule", "LOG-3.broken"));
        /* and the text a committee reads: × in the integrity row */
        snprintf(path, sizeof(path), "%s/tampered.text", fx->dir);
        assert_int_equal(review("text", "ja", path, msg, sizeof(msg)), 0);
        f = fopen(path, "re");
        assert_non_null(f);
        assert_true(getdelim(&text, &n, '\0', f) > 0);
        fclose(f);
        assert_non_null(strstr(text, "監査ログの改ざん防止      LOG-3   ×"));
        assert_non_null(strstr(text, "改ざん・欠落・順序の入替えを検出"));
        free(text);
}

/* ---- a directory that does not answer ----------------------------------------------- */

/* What kagi held before its LDAP server went away: alice's TOTP, a failure,
 * a login ten days ago. */
static void write_before_the_outage(struct store *s, const uint8_t *key)
{
        const struct lock_state one = { .failures = 1 };
        const uint8_t sealed[44] = { 1 };
        int64_t t = (int64_t)time(NULL) - 10 * DAY;

        assert_int_equal(store_lock_put(s, "alice", &one), 0);
        assert_int_equal(store_totp_put(s, "alice", sealed, sizeof(sealed), t - DAY), 0);
        history_record(s, key, t, "auth", "alice", "success", "password+totp");
        history_record(s, key, t, "account", "alice", "success", "-");
}

static int outage_setup(void **state)
{
        /* nothing listens on port 9: every lookup fails at once */
        fx = fx_new("[directory]\nbackend = ldap\nuri = ldaps://127.0.0.1:9\nbase = dc=kagi,dc=test\ntimeout = 1\n",
                    NULL);
        (void)state;
        if (!fx)
                return -1;
        fx_stop(fx, SIGTERM);
        with_store(fx, write_before_the_outage);
        return fx_start(fx);
}

static int outage_teardown(void **state)
{
        (void)state;
        return fx_free(fx);
}

static void without_the_directory_the_review_says_so_and_renders(void **state)
{
        _cleanup_(json_putp) json_object *m = model();
        json_object *a = item(get(m, "accounts.items"), "name", "alice");
        char out[1 << 16];

        (void)state;
        assert_false(json_object_get_boolean(get(m, "meta.directory.answered")));
        assert_int_equal(num(m, "meta.directory.unanswered"), 1);
        assert_string_equal(str(m, "meta.directory.backend"), "ldap");
        /* alice is there with what kagi knows, and nothing the directory would say */
        assert_true(has_factor(a, "totp"));
        assert_null(get(a, "display_name"));
        assert_null(get(a, "disabled"));
        assert_non_null(str(a, "last_success"));
        /* nothing is judged that needs the directory */
        assert_int_equal(json_object_array_length(get(m, "factors.not_admitted")), 0);
        assert_int_equal(json_object_array_length(get(m, "factors.missing")), 0);
        assert_int_equal(fx_kagictl(fx, out, sizeof(out), (const char *[]){ "report", "review", "--lang", "en", NULL }),
                         0);
        assert_non_null(strstr(out, "ldap: no answer for 1 accounts"));
}

int main(void)
{
        const struct CMUnitTest outage[] = {
                cmocka_unit_test(without_the_directory_the_review_says_so_and_renders),
        };
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(accounts_have_their_type_factors_and_last_logins),
                cmocka_unit_test(dormant_accounts_are_the_idle_and_the_never_used),
                cmocka_unit_test(accounts_without_their_zones_factors_are_listed),
                cmocka_unit_test(locks_say_why_and_how_they_ended),
                cmocka_unit_test(cards_show_the_replaced_the_revoked_and_the_lent),
                cmocka_unit_test(the_chain_is_verified_whole),
                cmocka_unit_test(days_count_logins_and_failures),
                cmocka_unit_test(privileged_roles_holders_and_grants),
                cmocka_unit_test(shared_ids_their_uses_and_refusals),
                cmocka_unit_test(the_summary_shows_the_privileged_and_shared_marks),
                cmocka_unit_test(every_format_parses_back),
                cmocka_unit_test(without_lang_it_is_kagids_language),
                cmocka_unit_test(only_root_and_the_admin_group_may_ask),
                cmocka_unit_test(usage_errors_and_an_absent_kagid_have_their_exit_codes),
                cmocka_unit_test(a_period_is_a_period),
                cmocka_unit_test(a_tampered_record_is_a_cross),
        };

        int r = cmocka_run_group_tests(tests, group_setup, group_teardown);

        return r | cmocka_run_group_tests(outage, outage_setup, outage_teardown);
}
