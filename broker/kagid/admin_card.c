/* kagictl card register / revoke / list: the card registry (CARD-1..3). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "login.h"

/* "AB:CD:…" as openssl x509 -fingerprint prints it, or plain hex: lower-case hex. */
static int normalize_fingerprint(const char *in, char out[65])
{
        size_t n = 0;

        for (; *in; in++) {
                char ch = *in >= 'A' && *in <= 'F' ? (char)(*in - 'A' + 'a') : *in;

                if (ch == ':')
                        continue;
                if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')) || n >= 64)
                        return -EINVAL;
                out[n++] = ch;
        }
        out[n] = '\0';
        return n == 64 ? 0 : -EINVAL;
}

int admin_card_register(struct request *rq)
{
        const char *user = msg_str(rq->msg, KAGI_T_USER);
        uint32_t flags = msg_u32(rq->msg, KAGI_T_FLAGS, 0);
        _cleanup_(login_done) struct login l;
        struct card_cert c = { 0 };
        struct card_row existing;
        char who[256], why[512];
        struct txn t;
        int r, retired = 0;

        admin_login(rq, &l, user, who, sizeof(who));
        if (card_cert_parse(rq->msg->f[KAGI_T_CERT].p, rq->msg->f[KAGI_T_CERT].len, &c) < 0) {
                reply_error(rq, KAGI_DENY_INVALID, "--cert is not an X.509 certificate (PEM or DER)");
                return 0;
        }
        r = directory_lookup(rq->dir, user, &l.acct);
        l.looked_up = true;
        if (r < 0 || !l.acct.exists) {
                reply_error(rq, r < 0 ? KAGI_UNAVAILABLE : KAGI_DENY_INVALID,
                            r < 0 ? "the directory is unavailable" : "no account named %s in the directory", user);
                goto out;
        }
        /* only a card kagi would accept at login may be registered */
        if (trust_check(rq->b->trust, &c, why, sizeof(why)) != CERT_OK) {
                reply_error(rq, KAGI_DENY_INVALID, "not registered: %s", why);
                goto out;
        }
        r = txn_begin(&t, rq);
        if (r >= 0) {
                r = store_card_get(rq->store, c.fingerprint, &existing);
                if (r == 0) {
                        txn_abort(&t);
                        reply_error(rq, KAGI_DENY_INVALID, "card %s is already registered to %s (%s)", c.serial,
                                    existing.account, existing.state);
                        goto out;
                }
                r = r == -ENOENT ? 0 : r;
        }
        if (r >= 0) {
                struct card_row row = { .not_after = c.not_after };

                snprintf(row.fingerprint, sizeof(row.fingerprint), "%s", c.fingerprint);
                snprintf(row.serial, sizeof(row.serial), "%s", c.serial);
                snprintf(row.subject, sizeof(row.subject), "%s", c.subject);
                snprintf(row.issuer, sizeof(row.issuer), "%s", c.issuer);
                snprintf(row.account, sizeof(row.account), "%s", user);
                r = store_card_add(rq->store, &row, wall_now());
        }
        if (r >= 0 && (flags & KAGI_FLAG_RETIRE_OLD)) {
                retired = store_card_retire_others(rq->store, user, c.fingerprint, wall_now());
                r = retired < 0 ? retired : 0;
        }
        snprintf(why, sizeof(why), "card %s (%s)%s", c.serial, c.fingerprint,
                 retired > 0 ? "; earlier cards retired" : "");
        if (r >= 0)
                r = txn_audit(&t, &l, "card-register", "card", "success", why, NULL);
        if (r >= 0)
                r = txn_commit(&t);
        if (r < 0) {
                txn_abort(&t);
                reply_error(rq, KAGI_ERROR, "cannot register the card");
                goto out;
        }
        {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "account", json_object_new_string(user));
                json_object_object_add(j, "serial", json_object_new_string(c.serial));
                json_object_object_add(j, "fingerprint", json_object_new_string(c.fingerprint));
                json_object_object_add(j, "subject", json_object_new_string(c.subject));
                json_object_object_add(j, "retired", json_object_new_int(retired));
                reply_json(rq, j);
                json_object_put(j);
        }
out:
        card_cert_clear(&c);
        return 0;
}

int admin_card_revoke(struct request *rq)
{
        const char *serial = msg_str(rq->msg, KAGI_T_SERIAL);
        const char *given = msg_str(rq->msg, KAGI_T_FINGERPRINT);
        const char *reason = msg_str(rq->msg, KAGI_T_REASON);
        struct card_row row;
        struct login l;
        char fpr[65] = "", who[256], why[1200];
        size_t matches = 0;
        struct txn t;
        int r;

        if (!!serial == !!given || !*reason) {
                reply_error(rq, KAGI_DENY_INVALID, "give a serial or --fingerprint, and a reason");
                return 0;
        }
        r = txn_begin(&t, rq);
        if (r >= 0 && serial) {
                r = store_card_by_serial(rq->store, serial, fpr, &matches);
                if (r >= 0 && matches != 1) {
                        txn_abort(&t);
                        reply_error(rq, KAGI_DENY_INVALID,
                                    matches ? "serial %s matches %zu cards; use --fingerprint"
                                            : "no card with serial %s", serial, matches);
                        return 0;
                }
        } else if (r >= 0 && normalize_fingerprint(given, fpr) < 0) {
                txn_abort(&t);
                reply_error(rq, KAGI_DENY_INVALID, "--fingerprint: give the SHA-256 fingerprint, 64 hex digits");
                return 0;
        }
        if (r >= 0) {
                r = store_card_get(rq->store, fpr, &row);
                if (r == -ENOENT) {
                        txn_abort(&t);
                        reply_error(rq, KAGI_DENY_INVALID, "no card with fingerprint %s", fpr);
                        return 0;
                }
        }
        if (r >= 0) {
                r = store_card_revoke(rq->store, fpr, reason, wall_now());
                if (r == -EALREADY) {
                        txn_abort(&t);
                        reply_error(rq, KAGI_DENY_INVALID, "card %s is already revoked", row.serial);
                        return 0;
                }
        }
        admin_login(rq, &l, row.account, who, sizeof(who));
        snprintf(why, sizeof(why), "card %s: %s", row.serial, reason);
        if (r >= 0)
                r = txn_audit(&t, &l, "card-revoke", "card", "revoked", why, NULL);
        if (r >= 0)
                r = txn_commit(&t);
        if (r < 0) {
                txn_abort(&t);
                reply_error(rq, KAGI_ERROR, "cannot revoke the card");
                return r;
        }
        {
                json_object *j = json_object_new_object();
                json_object_object_add(j, "account", json_object_new_string(row.account));
                json_object_object_add(j, "serial", json_object_new_string(row.serial));
                json_object_object_add(j, "fingerprint", json_object_new_string(row.fingerprint));
                json_object_object_add(j, "state", json_object_new_string("revoked"));
                reply_json(rq, j);
                json_object_put(j);
        }
        return 0;
}

static int list_card(void *userdata, const struct card_row *c)
{
        struct request *rq = userdata;
        json_object *j = json_object_new_object();
        char t[40];
        int r;

        json_object_object_add(j, "account", json_object_new_string(c->account));
        json_object_object_add(j, "state", json_object_new_string(c->state));
        json_object_object_add(j, "serial", json_object_new_string(c->serial));
        json_object_object_add(j, "fingerprint", json_object_new_string(c->fingerprint));
        json_object_object_add(j, "subject", json_object_new_string(c->subject));
        json_object_object_add(j, "issuer", json_object_new_string(c->issuer));
        time_format_utc(c->registered * 1000000, t);
        t[19] = 'Z';
        t[20] = '\0';
        json_object_object_add(j, "registered", json_object_new_string(t));
        time_format_utc(c->not_after * 1000000, t);
        t[19] = 'Z';
        t[20] = '\0';
        json_object_object_add(j, "not_after", json_object_new_string(t));
        json_object_object_add(j, "reason", json_object_new_string(c->reason));
        r = send_record(rq, j);
        json_object_put(j);
        return r;
}

int admin_card_list(struct request *rq)
{
        int r = store_cards(rq->store, msg_str(rq->msg, KAGI_T_USER), list_card, rq);

        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot list cards");
                return r;
        }
        reply_decision(rq, KAGI_ALLOW, MSG_AUTH_FAILED);
        return 0;
}
