/* kagictl's requests. Answers are JSON documents (json-c) in the RESULT frame
 * or, for listings, one RECORD frame per item. Every change is audited with
 * the administrator who made it. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "login.h"

/* The administrator behind the socket, by name when it has one. */
void peer_name(const struct request *rq, char *buf, size_t size)
{
        struct passwd pw, *res = NULL;
        char tmp[4096];

        if (getpwuid_r(rq->peer_uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
                snprintf(buf, size, "%s", pw.pw_name);
        else
                snprintf(buf, size, "uid %u", (unsigned)rq->peer_uid);
}

/* A login context for records written on an administrator's behalf. */
void admin_login(const struct request *rq, struct login *l, const char *account, char *who, size_t wsz)
{
        *l = (struct login){ .user = account, .service = "kagictl" };
        peer_name(rq, who, wsz);
        l->person = who;
        snprintf(l->terminal, sizeof(l->terminal), "%s:kagictl", rq->b->host);
}

static int user_json(struct request *rq, const char *user, bool with_directory, json_object **ret)
{
        _cleanup_(login_done) struct login l = { .user = user };
        const struct lockout_rule *rule;
        struct user_state us;
        json_object *j;
        int r;

        r = store_user_state(rq->store, user, &us);
        if (r < 0)
                return r;
        l.looked_up = true;
        if (directory_lookup(rq->dir, user, &l.acct) < 0)
                l.acct = (struct dir_account){ .uid = (uid_t)-1 };
        rule = login_rule(rq, &l);

        j = json_object_new_object();
        json_add_str(j, "account", user);
        json_add_int(j, "failures", us.lock.failures);
        json_add_int(j, "threshold", rule->threshold);
        json_add_bool(j, "locked", lockout_is_locked(rule, &us.lock, wall_now()));
        json_add_time(j, "locked_since", us.lock.locked_at);
        json_object_object_add(j, "unlock_after",
                               rule->unlock_after ? json_object_new_int64((int64_t)rule->unlock_after) : NULL);
        json_add_bool(j, "privileged", login_privileged(rq, &l));
        json_add_bool(j, "totp_enrolled", us.totp_enrolled);
        json_add_time(j, "totp_enrolled_at", us.totp_enrolled_at);
        json_add_int(j, "totp_last_skew", us.totp_last_skew);
        json_add_time(j, "last_success", us.last_success);
        json_add_time(j, "last_failure", us.last_failure);
        if (with_directory) {
                json_object *groups = json_object_new_array();

                json_add_bool(j, "exists", l.acct.exists);
                json_add_bool(j, "enabled", l.acct.exists && l.acct.enabled);
                json_add_str(j, "display_name", l.acct.display_name);
                json_add_str(j, "department", l.acct.department);
                for (size_t i = 0; i < l.acct.groups.n; i++)
                        json_object_array_add(groups, json_object_new_string(l.acct.groups.v[i]));
                json_object_object_add(j, "groups", groups);
        }
        *ret = j;
        return 0;
}

int admin_status(struct request *rq)
{
        _cleanup_(json_putp) json_object *j = NULL;
        int r = user_json(rq, msg_str(rq->msg, KAGI_T_USER), false, &j);

        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot read the state of %s", msg_str(rq->msg, KAGI_T_USER));
                return r;
        }
        reply_json(rq, j);
        return 0;
}

int admin_user_show(struct request *rq)
{
        _cleanup_(json_putp) json_object *j = NULL;
        int r = user_json(rq, msg_str(rq->msg, KAGI_T_USER), true, &j);

        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot read the state of %s", msg_str(rq->msg, KAGI_T_USER));
                return r;
        }
        reply_json(rq, j);
        return 0;
}

static int list_one(void *userdata, const char *user)
{
        struct request *rq = userdata;
        _cleanup_(json_putp) json_object *j = NULL;
        int r = user_json(rq, user, false, &j);

        return r < 0 ? r : send_record(rq, j);
}

int admin_user_list(struct request *rq)
{
        int r = store_users(rq->store, list_one, rq);

        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot list accounts");
                return r;
        }
        reply_decision(rq, KAGI_ALLOW, MSG_AUTH_FAILED);
        return 0;
}

int admin_unlock(struct request *rq)
{
        const char *user = msg_str(rq->msg, KAGI_T_USER);
        const char *reason = msg_str(rq->msg, KAGI_T_REASON);
        struct lock_state st = { 0 }, clear = { 0 };
        struct login l;
        char who[256];
        struct txn t;
        bool was_locked;
        int r;

        if (!*reason) {
                reply_error(rq, KAGI_DENY_INVALID, "an unlock needs a reason");
                return 0;
        }
        admin_login(rq, &l, user, who, sizeof(who));
        r = txn_begin(&t, rq);
        if (r >= 0)
                r = store_lock_get(rq->store, user, &st);
        was_locked = st.locked_at != 0 || st.failures > 0;
        if (r >= 0)
                r = store_lock_put(rq->store, user, &clear);
        if (r >= 0)
                r = txn_audit(&t, &l, "unlock", "-", "unlocked", reason, NULL);
        r = txn_finish(&t, r);
        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot unlock %s", user);
                return r;
        }
        log_info("%s unlocked %s (%s): %s", who, user, was_locked ? "was locked or had failures" : "was not locked",
                 reason);
        {
                _cleanup_(json_putp) json_object *j = json_object_new_object();
                json_add_str(j, "account", user);
                json_add_bool(j, "was_locked", st.locked_at != 0);
                json_add_int(j, "failures_cleared", st.failures);
                reply_json(rq, j);
        }
        return 0;
}

int admin_totp_enroll(struct request *rq)
{
        const struct kagi_config *c = rq->b->cfg;
        const struct totp_params p = { c->totp_digits, c->totp_step, c->totp_window };
        const char *user = msg_str(rq->msg, KAGI_T_USER);
        const char *given = msg_str(rq->msg, KAGI_T_SECRET);
        _cleanup_(login_done) struct login l;
        _cleanup_(freep) uint8_t *sealed = NULL;
        _cleanup_(secret_strfreep) char *b32 = NULL;
        _cleanup_(freep) char *uri = NULL;
        uint8_t *secret = NULL;
        size_t len = 0, sealed_len = 0;
        char who[256];
        struct txn t;
        int r;

        admin_login(rq, &l, user, who, sizeof(who));
        r = directory_lookup(rq->dir, user, &l.acct);
        l.looked_up = true;
        if (r < 0) {
                reply_error(rq, KAGI_UNAVAILABLE, "the directory is unavailable; cannot check that %s exists", user);
                return 0;
        }
        if (!l.acct.exists) {
                reply_error(rq, KAGI_DENY_INVALID, "no account named %s in the directory", user);
                return 0;
        }
        if (given) {
                if (totp_base32_decode(given, &secret, &len) < 0) {
                        reply_error(rq, KAGI_DENY_INVALID, "--secret is not base32 of 10 to 64 bytes");
                        return 0;
                }
        } else {
                secret = malloc(TOTP_SECRET_LEN);
                len = TOTP_SECRET_LEN;
                if (!secret || totp_new_secret(secret) < 0) {
                        secret_free(secret, len);
                        reply_error(rq, KAGI_ERROR, "no randomness for a new secret");
                        return -EIO;
                }
        }
        r = seal(rq->b->keys.seal, user, secret, len, &sealed, &sealed_len);
        if (r >= 0)
                r = totp_base32_encode(secret, len, &b32);
        secret_free(secret, len);
        if (r >= 0)
                r = totp_uri(&p, c->totp_issuer, user, b32, &uri);
        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot prepare the secret");
                return r;
        }
        r = txn_begin(&t, rq);
        if (r >= 0)
                r = store_totp_put(rq->store, user, sealed, sealed_len, wall_now());
        if (r >= 0)
                r = txn_audit(&t, &l, "enroll", "totp", "success", given ? "secret given by administrator" : "new secret",
                              NULL);
        r = txn_finish(&t, r);
        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot store the secret of %s", user);
                return r;
        }
        {
                _cleanup_(json_putp) json_object *j = json_object_new_object();
                json_add_str(j, "account", user);
                json_add_str(j, "secret", b32);
                json_add_str(j, "uri", uri);
                json_add_int(j, "digits", (int)p.digits);
                json_add_int(j, "period", (int)p.step);
                reply_json(rq, j);
                /* the JSON text held the secret too */
                secret_wipe((void *)json_object_to_json_string(j), strlen(json_object_to_json_string(j)));
        }
        return 0;
}

int admin_totp_remove(struct request *rq)
{
        const char *user = msg_str(rq->msg, KAGI_T_USER);
        struct login l;
        char who[256];
        struct txn t;
        int r;

        admin_login(rq, &l, user, who, sizeof(who));
        r = txn_begin(&t, rq);
        if (r >= 0)
                r = store_totp_delete(rq->store, user);
        if (r == -ENOENT) {
                txn_abort(&t);
                reply_error(rq, KAGI_DENY_INVALID, "%s has no TOTP enrolled", user);
                return 0;
        }
        if (r >= 0)
                r = txn_audit(&t, &l, "unenroll", "totp", "success", "", NULL);
        r = txn_finish(&t, r);
        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot remove the secret of %s", user);
                return r;
        }
        reply_decision(rq, KAGI_ALLOW, MSG_AUTH_FAILED);
        return 0;
}

#define R(f) { #f, offsetof(struct audit_record, f) }
static const struct json_member record_members[] = {
        R(event), R(account), R(person), R(terminal), R(service), R(factor), R(result), R(reason), R(session),
};
#undef R

static json_object *record_json(const struct audit_record *r)
{
        json_object *j = json_object_new_object();
        char t[40];

        time_format_utc(r->time_us, t);
        json_add_int(j, "seq", r->seq);
        json_add_str(j, "time", t);
        json_add_strings(j, r, true, record_members, ARRAY_SIZE(record_members));
        return j;
}

static int show_one(void *userdata, const struct audit_record *r)
{
        _cleanup_(json_putp) json_object *j = record_json(r);

        return send_record(userdata, j);
}

int admin_audit_show(struct request *rq)
{
        uint64_t since = msg_u64(rq->msg, KAGI_T_SINCE, 0);
        int r;

        if (since > INT64_MAX / 1000000) {
                reply_error(rq, KAGI_DENY_INVALID, "--since is out of range");
                return 0;
        }
        r = audit_each(rq->store, (int64_t)since * 1000000, show_one, rq);
        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot read the audit log");
                return r;
        }
        reply_decision(rq, KAGI_ALLOW, MSG_AUTH_FAILED);
        return 0;
}

int admin_audit_verify(struct request *rq)
{
        _cleanup_(json_putp) json_object *j = json_object_new_object();
        struct audit_verdict v;
        int r;

        r = audit_verify(rq->store, rq->b->keys.audit, &v);
        if (r < 0) {
                reply_error(rq, KAGI_ERROR, "cannot read the audit log");
                return r;
        }
        json_add_bool(j, "ok", v.ok);
        json_add_int(j, "records", v.records);
        json_object_object_add(j, "first_bad", v.first_bad ? json_object_new_int64(v.first_bad) : NULL);
        json_add_str(j, "why", v.why);
        if (!v.ok)
                log_err("audit log verification failed: %s", v.why);
        reply_json(rq, j);
        return 0;
}
