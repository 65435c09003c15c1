/* kagictl card register / revoke / list: the card registry (CARD-1..3). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "login.h"

#define C(f) { #f, offsetof(struct card_row, f) }
static const struct json_member card_members[] = {
        C(account), C(state), C(serial), C(fingerprint), C(subject), C(issuer), C(reason),
};
#undef C

/* A card of the registry as kagictl shows it. */
static json_object *card_json(const struct card_row *c)
{
        json_object *j = json_object_new_object();

        json_add_strings(j, c, false, card_members, ARRAY_SIZE(card_members));
        json_add_time(j, "registered", c->registered);
        json_add_time(j, "not_after", c->not_after);
        return j;
}

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
        struct card_row existing, row;
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
        if (admin_refuse_privileged_binding(rq, &l, "card-register", "card"))
                goto out;
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
                row = (struct card_row){ .not_after = c.not_after, .registered = wall_now() };
                snprintf(row.fingerprint, sizeof(row.fingerprint), "%s", c.fingerprint);
                snprintf(row.serial, sizeof(row.serial), "%s", c.serial);
                snprintf(row.subject, sizeof(row.subject), "%s", c.subject);
                snprintf(row.issuer, sizeof(row.issuer), "%s", c.issuer);
                snprintf(row.account, sizeof(row.account), "%s", user);
                snprintf(row.state, sizeof(row.state), "active");
                r = store_card_add(rq->store, &row, row.registered);
        }
        if (r >= 0 && (flags & KAGI_FLAG_RETIRE_OLD)) {
                retired = store_card_retire_others(rq->store, user, c.fingerprint, wall_now());
                r = retired < 0 ? retired : 0;
        }
        snprintf(why, sizeof(why), "card %s (%s)%s", c.serial, c.fingerprint,
                 retired > 0 ? "; earlier cards retired" : "");
        if (r >= 0)
                r = txn_audit(&t, &l, "card-register", "card", "success", why, NULL);
        r = txn_finish(&t, r);
        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot register the card");
                goto out;
        }
        {
                _cleanup_(json_putp) json_object *j = card_json(&row);

                json_add_int(j, "retired", retired);
                reply_json(rq, j);
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
        struct card_row row = { 0 };
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
        /* row holds the card only once every step above went well */
        if (r >= 0) {
                admin_login(rq, &l, row.account, who, sizeof(who));
                snprintf(why, sizeof(why), "card %s: %s", row.serial, reason);
                r = txn_audit(&t, &l, "card-revoke", "card", "revoked", why, NULL);
        }
        r = txn_finish(&t, r);
        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot revoke the card");
                return r;
        }
        {
                _cleanup_(json_putp) json_object *j = NULL;

                snprintf(row.state, sizeof(row.state), "revoked");
                j = card_json(&row);
                reply_json(rq, j);
        }
        return 0;
}

static int list_card(void *userdata, const struct card_row *c)
{
        _cleanup_(json_putp) json_object *j = card_json(c);

        return send_record(userdata, j);
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
