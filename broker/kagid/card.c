/* IC card + PIN login (MFA-1, CARD-1..3) and the card registry.
 *
 *   Both requests are refused (DENY_POLICY, audited) before anything else
 *   for a login that is not at the reader (login_place: a remote host, or a
 *   service not in [card] local_services) and when the login's zone does not
 *   accept card+pin.
 *   CARD_CHALLENGE  the module sends the card's certificate. The attempt is
 *                   reserved (counted) first, then the certificate is checked:
 *                   chain, validity, usage, CRL, kagi's registry, and that
 *                   the card belongs to this account's person. A random
 *                   challenge, bound to account, terminal and card and valid
 *                   for 60 s, goes back.
 *   (the module has the card check the PIN and sign SHA-256 of the challenge)
 *   CARD_VERIFY     the signature, or the card's refusal of the PIN. The
 *                   challenge is taken (single use), the certificate checked
 *                   again (a revocation in between counts), the signature
 *                   verified, the attempt settled.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include "login.h"

#define FACTOR "card+pin"

/* Why a card may not be used for this account, or MSG_ID_MAX_ when it may. */
static enum msg_id card_refusal(struct request *rq, const struct login *l, const struct card_cert *c,
                                bool *ret_shared, char *owner, size_t osz, char *why, size_t whysz)
{
        struct card_row row;
        struct dir_certs certs;
        bool in_directory = false;
        int r;

        *ret_shared = false;
        owner[0] = '\0';
        switch (trust_check(rq->b->trust, c, why, whysz)) {
        case CERT_OK:
                break;
        case CERT_REVOKED:
                return MSG_CARD_REVOKED;
        case CERT_NO_TRUST:
                return MSG_INTERNAL;
        default:
                return MSG_CARD_REFUSED;
        }
        r = store_card_get(rq->store, c->fingerprint, &row);
        if (r < 0 && r != -ENOENT) {
                snprintf(why, whysz, "card registry unreadable");
                return MSG_INTERNAL;
        }
        if (r == 0) {
                snprintf(owner, osz, "%s", row.account);
                if (strcmp(row.state, "revoked") == 0) {
                        snprintf(why, whysz, "card %s revoked: %.300s", c->serial, row.reason);
                        return MSG_CARD_REVOKED;
                }
                if (strcmp(row.state, "retired") == 0) {
                        snprintf(why, whysz, "card %s retired: %.300s", c->serial, row.reason);
                        return MSG_CARD_REFUSED;
                }
                if (strcmp(row.account, l->user) != 0) {
                        /* CARD-1: someone else's card, presented for this account */
                        *ret_shared = true;
                        snprintf(why, whysz, "card %s is registered to %s", c->serial, row.account);
                        return MSG_CARD_SHARED;
                }
                return MSG_ID_MAX_;
        }
        /* not in kagi's registry: the directory may bind it to the person */
        if (directory_certificates(rq->dir, l->user, &certs) == 0) {
                for (size_t i = 0; i < certs.n && !in_directory; i++)
                        in_directory = certs.len[i] == c->der_len && memcmp(certs.der[i], c->der, c->der_len) == 0;
                dir_certs_clear(&certs);
        }
        if (in_directory)
                return MSG_ID_MAX_;
        snprintf(why, whysz, "card %s is not registered to %s", c->serial, l->user);
        return MSG_CARD_REFUSED;
}

/* Settle a reserved attempt as failed, with the records that explain it. */
static int refuse_counted(struct request *rq, const struct login *l, enum kagi_decision d, enum msg_id msg,
                          unsigned n, const char *reason, const char *sharing_owner)
{
        /* the card-sharing record names the card's owner as the person; it
         * must live until the commit, which sends the records to syslog */
        struct login owner = *l;
        enum lock_event ev;
        struct txn t;
        int r;

        owner.person = sharing_owner;
        r = txn_begin(&t, rq);
        if (r >= 0)
                r = attempt_settle(&t, l, false, &ev);
        if (r >= 0)
                r = txn_audit(&t, l, "auth", FACTOR, "failure", reason, NULL);
        if (r >= 0 && sharing_owner)
                r = txn_audit(&t, &owner, "card-sharing", FACTOR, "denied", reason, NULL);
        if (r >= 0)
                r = txn_lock_event(&t, l, ev, login_rule(rq, l));
        r = txn_finish_or_refuse(&t, r);
        if (r < 0)
                return r;
        reply_decision_n(rq, d, ev == LOCK_EV_LOCKED ? MSG_NOW_LOCKED : msg, n);
        return 0;
}

/* May a card log in here at all? Refused (and audited) before anything is
 * reserved or checked. A card proves possession only for the person at its
 * reader: never for a remote login, even from a module that asks anyway.
 * And the card path completes card+pin, which the zone must accept, like
 * every other path to ALLOW. */
static int card_admitted(struct request *rq, const struct login *l)
{
        char why[400];

        switch (login_place(rq->b->cfg, l->service, l->rhost)) {
        case LOGIN_REMOTE_HOST:
                snprintf(why, sizeof(why), "remote login (from %.256s): a card proves nothing there", l->rhost);
                break;
        case LOGIN_SERVICE_NOT_LOCAL:
                snprintf(why, sizeof(why), "service %.64s is not at the card reader ([card] local_services)",
                         l->service);
                break;
        case LOGIN_LOCAL:
                if (zone_satisfied(l->zone, KAGI_F_CARD | KAGI_F_PIN))
                        return 0;
                snprintf(why, sizeof(why), "zone %s does not accept card+pin", l->zone->name);
                break;
        }
        log_warn("card login for %s refused: %s", l->user, why);
        answer_audited(rq, l, "auth", FACTOR, KAGI_DENY_POLICY, MSG_NO_METHOD, why);
        return -EACCES;
}

/* A card login straight to a role's target (root, at the reader):
 * the card's registered owner is the person, whose PIN and lock count and
 * whose grant must open the account. A card kagi's registry does not know
 * names nobody, and is refused as not registered to the account. */
static int card_person(struct request *rq, struct login *l, const struct card_cert *c, bool want_enabled)
{
        struct card_row row;
        int r;

        if (!login_by_person(l) || l->individual)
                return 0;
        r = store_card_get(rq->store, c->fingerprint, &row);
        if (r == -ENOENT || (r == 0 && strcmp(row.state, "active") != 0))
                return 0;
        return r < 0 ? r : login_as_person(rq, l, row.account, want_enabled);
}

static int start_card(struct request *rq, struct login *l, struct card_cert *c, bool want_enabled)
{
        int r = login_load(rq, l);

        if (r < 0) {
                reply_decision(rq, r == -ENOENT ? KAGI_DENY_POLICY : KAGI_DENY_INVALID, MSG_NO_METHOD);
                return r;
        }
        r = card_admitted(rq, l);
        if (r < 0)
                return r;
        r = trust_parse(rq->b->trust, rq->msg->f[KAGI_T_CERT].p, rq->msg->f[KAGI_T_CERT].len, c);
        if (r < 0) {
                log_warn("card login for %s: the card's certificate cannot be parsed", l->user);
                reply_decision(rq, KAGI_DENY_CARD, MSG_CARD_REFUSED);
                return r;
        }
        r = login_resolve(rq, l, want_enabled);
        if (r >= 0)
                r = card_person(rq, l, c, want_enabled);
        if (r < 0) {
                reply_decision(rq, KAGI_UNAVAILABLE, MSG_UNAVAILABLE);
                return r;
        }
        return 0;
}

int card_challenge(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        struct card_cert c = { 0 };
        uint8_t nonce[CHALLENGE_LEN];
        char why[512], owner[257];
        enum msg_id refusal;
        bool shared;
        int r;

        if (start_card(rq, &l, &c, false) < 0)
                goto out;
        /* in flight until CARD_VERIFY settles it, or the challenge lapses */
        r = attempt_reserve(rq, &l, FACTOR, rq->msg->f[KAGI_T_ATTEMPT].p, rq->msg->f[KAGI_T_ATTEMPT].len,
                            now_ms() + CHALLENGE_TTL * 1000);
        if (r <= 0)
                goto out;
        /* SID-1: the card's owner must be a member of the shared ID */
        if (l.shared && l.individual && !shared_member(l.shared, l.user, &l.acct.groups)) {
                shared_misuse(rq, &l, FACTOR, NULL, 0);
                goto out;
        }
        refusal = card_refusal(rq, &l, &c, &shared, owner, sizeof(owner), why, sizeof(why));
        if (refusal != MSG_ID_MAX_) {
                log_warn("card login for %s refused: %s", l.user, why);
                refuse_counted(rq, &l, refusal == MSG_INTERNAL ? KAGI_ERROR : KAGI_DENY_CARD, refusal, 0, why,
                               shared ? owner : NULL);
                goto out;
        }
        if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
                reply_decision(rq, KAGI_ERROR, MSG_INTERNAL);
                goto out;
        }
        r = challenge_put(rq->b->challenges, nonce, l.user, l.terminal, c.fingerprint, l.attempt,
                          wall_now() + CHALLENGE_TTL, wall_now());
        if (r < 0) {
                log_err("card login for %s: too many card logins in flight; refusing", l.user);
                reply_decision(rq, KAGI_ERROR, MSG_INTERNAL);
                goto out;
        }
        l.keep_attempt = true;
        reply_decision(rq, KAGI_CONTINUE, MSG_AUTH_FAILED);
        frame_put_blob(rq->reply, KAGI_T_CHALLENGE, nonce, sizeof(nonce));
out:
        card_cert_clear(&c);
        return 0;
}

int card_verify(struct request *rq)
{
        _cleanup_(login_done) struct login l;
        const struct kagi_field *ch = &rq->msg->f[KAGI_T_CHALLENGE];
        const struct kagi_field *sig = &rq->msg->f[KAGI_T_SIGNATURE];
        uint32_t flags = msg_u32(rq->msg, KAGI_T_FLAGS, 0);
        uint32_t retries = msg_u32(rq->msg, KAGI_T_RETRIES, UINT32_MAX);
        struct card_cert c = { 0 };
        struct challenge_row cr;
        struct account_verdict v;
        char why[512], owner[257];
        enum kagi_decision d;
        enum lock_event ev;
        enum msg_id refusal, msg;
        const char *reason;
        bool shared;
        struct txn t;
        int r;

        if (start_card(rq, &l, &c, true) < 0)
                goto out;
        if (challenge_take(rq->b->challenges, ch->p, ch->len, &cr) < 0) {
                answer_audited(rq, &l, "auth", FACTOR, KAGI_DENY_CARD, MSG_AUTH_FAILED,
                               "challenge unknown, already used or expired");
                goto out;
        }
        if (strcmp(cr.account, l.user) != 0 || strcmp(cr.fingerprint, c.fingerprint) != 0 ||
            strcmp(cr.terminal, l.terminal) != 0 || cr.expires < wall_now()) {
                refuse_counted(rq, &l, KAGI_DENY_CARD, MSG_AUTH_FAILED, 0,
                               cr.expires < wall_now() ? "challenge expired"
                                                       : "challenge issued for another account, card or terminal",
                               NULL);
                goto out;
        }
        /* the attempt reserved with the challenge (a fresh one if it lapsed) */
        if (attempt_reserve(rq, &l, FACTOR, cr.attempt, sizeof(cr.attempt), now_ms() + CHALLENGE_TTL * 1000) <= 0)
                goto out;
        if (flags & KAGI_FLAG_CARD_ABORTED) {
                /* pulled or unreadable before the PIN was judged, or no PIN
                 * given: nothing verified */
                if (flags & KAGI_FLAG_ABANDONED) {
                        attempt_release(rq, &l, FACTOR, "abandoned",
                                        "no answer or an empty one at the PIN prompt (not counted)");
                        reply_decision(rq, KAGI_DENY_ABANDONED, MSG_ABANDONED);
                } else {
                        attempt_release(rq, &l, FACTOR, "aborted", "card removed or unreadable during login");
                        reply_decision(rq, KAGI_DENY_CARD, MSG_CARD_ABORTED);
                }
                goto out;
        }
        if (flags & (KAGI_FLAG_PIN_FAILED | KAGI_FLAG_PIN_BLOCKED)) {
                bool blocked = (flags & KAGI_FLAG_PIN_BLOCKED) || retries == 0;

                snprintf(why, sizeof(why), blocked ? "PIN blocked on the card" : "wrong PIN (%u tries left on the card)",
                         retries);
                refuse_counted(rq, &l, KAGI_DENY_CREDENTIAL, blocked ? MSG_PIN_BLOCKED : MSG_PIN_WRONG, retries, why,
                               NULL);
                goto out;
        }
        if (!sig->p) {
                refuse_counted(rq, &l, KAGI_DENY_CREDENTIAL, MSG_AUTH_FAILED, 0, "no signature", NULL);
                goto out;
        }
        if (l.shared && l.individual && !shared_member(l.shared, l.user, &l.acct.groups)) {
                shared_misuse(rq, &l, FACTOR, NULL, 0);
                goto out;
        }
        /* CARD-2: a revocation since the challenge takes effect now */
        refusal = card_refusal(rq, &l, &c, &shared, owner, sizeof(owner), why, sizeof(why));
        if (refusal != MSG_ID_MAX_) {
                refuse_counted(rq, &l, refusal == MSG_INTERNAL ? KAGI_ERROR : KAGI_DENY_CARD, refusal, 0, why,
                               shared ? owner : NULL);
                goto out;
        }
        r = card_signature_check(&c, ch->p, ch->len, sig->p, sig->len);
        if (r != 1) {
                refuse_counted(rq, &l, KAGI_DENY_CREDENTIAL, MSG_AUTH_FAILED, 0,
                               r < 0 ? "signature could not be checked" : "signature does not match the certificate",
                               NULL);
                goto out;
        }

        d = admission(rq, &l, &msg, &reason);
        r = txn_begin(&t, rq);
        if (r >= 0)
                r = attempt_settle(&t, &l, true, &ev);
        if (r >= 0) {
                snprintf(why, sizeof(why), "card %s%s%s", c.serial, *reason ? "; " : "", reason);
                r = txn_audit(&t, &l, "auth", FACTOR, d == KAGI_ALLOW ? "success" : "denied", why, NULL);
        }
        /* the account phase, decided with the login (see auth_verify); a
         * session this card opens may end when it leaves its reader */
        snprintf(l.card, sizeof(l.card), "%s", c.fingerprint);
        snprintf(l.reader, sizeof(l.reader), "%s", msg_str(rq->msg, KAGI_T_READER) ? msg_str(rq->msg, KAGI_T_READER)
                                                                                   : "");
        if (r >= 0 && d == KAGI_ALLOW)
                r = login_account_decision(rq, &l, &v);
        if (r >= 0 && d == KAGI_ALLOW)
                r = account_audit(&t, &l, &v);
        if (txn_finish_or_refuse(&t, r) < 0)
                goto out;
        if (d == KAGI_ALLOW && verdict_claimed(&v)) {
                /* the card (or the ID) is held elsewhere: a later account
                 * phase would not see the card, so the login ends here */
                reply_decision_name(rq, v.d, v.msg, 0, verdict_name(&v));
                goto out;
        }
        reply_decision(rq, d, msg);
        if (d == KAGI_ALLOW)
                put_account(rq, &l, &v);
out:
        card_cert_clear(&c);
        return 0;
}
