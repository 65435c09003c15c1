/* libkagi-pam: the insides of pam_kagi.so. The module decides nothing: it
 * collects what the broker asks for and maps the broker's decision to a PAM
 * code in one place (result.c). It runs inside someone else's process: no
 * globals, no exit, no fork, no signals, no stderr; logs go to pam_syslog. */
#pragma once

#include <security/pam_modules.h>
#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "policy.h"

/* pam data: the member a shared ID's login named (flow.c) */
#define PK_DATA_PERSON "pam_kagi_person"

enum pk_mode { PK_MODE_AUTH, PK_MODE_PREAUTH, PK_MODE_AUTHFAIL };

struct pk_args {
        const char *config;        /* points into argv or the default */
        const char *socket;        /* NULL: from the config */
        const char *zone;          /* NULL: the broker's default zone */
        enum pk_mode mode;
        bool debug;
};

/* Pure: parse the module arguments. An unknown or repeated argument is an
 * error (-EINVAL) described in err. */
int pk_args_parse(int argc, const char **argv, struct pk_args *ret, char *err, size_t errsz);

/* PK_PHASE_SESSION_PRIVILEGED: the session of a role's target account. */
enum pk_phase { PK_PHASE_AUTH, PK_PHASE_ACCOUNT, PK_PHASE_SESSION, PK_PHASE_SESSION_PRIVILEGED };
/* The one place where a decision becomes a PAM code. */
int pk_decision_to_pam(enum pk_phase phase, enum kagi_decision d);

/* Everything one call of the module needs. */
struct pk {
        pam_handle_t *pamh;
        struct pk_args args;
        struct kagi_config *cfg;   /* for the socket path, timeout and language;
                                    * owned by the PAM handle's data */
        const char *user;
        char user_log[4 * 256 + 1];  /* the user name escaped for the log
                                      * (text_escape: an ssh client chose it) */
        const char *service;
        const char *tty;
        const char *rhost;
        const char *ruser;
        char host[256];
        int flags;                 /* PAM_SILENT … */
        bool over_ssh;             /* sshd's keyboard-interactive (PAM_TTY "ssh") */
};

int pk_open(struct pk *pk, pam_handle_t *pamh, int flags, int argc, const char **argv, bool need_user);
void pk_close(struct pk *pk);

/* A request frame with the login context filled in. */
struct frame *pk_request(const struct pk *pk, uint8_t type, uint32_t flags);
/* Whether the peer on fd is kagid: root, or [broker] user (peer.c). 0, or
 * negative with the reason logged. */
int pk_check_broker(struct pk *pk, int fd, const char *path);
/* Send it and receive the RESULT. On any failure to talk to the broker the
 * answer is KAGI_UNAVAILABLE, logged precisely: the caller fails closed. */
enum kagi_decision pk_call(struct pk *pk, struct frame *req, struct kagi_msg *ret);

/* The PAM conversation (conv.c). */
/* Information: not shown under PAM_SILENT. */
void pk_info(struct pk *pk, enum msg_id id);
/* A warning to read before the next prompt: shown even under PAM_SILENT. */
void pk_warn(struct pk *pk, enum msg_id id);
/* The one line that says why the login is refused: shown even under
 * PAM_SILENT; over ssh, in a prompt (see conv.c). */
void pk_refuse(struct pk *pk, const char *text);
void pk_refuse_msg(struct pk *pk, enum msg_id id);
/* The broker's message for a refusal, if it sent one. */
void pk_refuse_result(struct pk *pk, const struct kagi_msg *m);
/* The answer to a hidden prompt, or NULL (the user gave none or the
 * conversation failed). Free with secret_strfree. */
char *pk_ask_secret(struct pk *pk, enum msg_id prompt);
/* The same with {name} in the prompt (whose password). */
char *pk_ask_secret_name(struct pk *pk, enum msg_id prompt, const char *name);
/* Any prompt (PAM_PROMPT_ECHO_ON for what may be seen). */
char *pk_ask(struct pk *pk, int style, const char *text);
/* pk_refuse_msg with {n} and {name} filled in (a grant's number and approvers). */
void pk_refuse_msg_name(struct pk *pk, enum msg_id id, unsigned n, const char *name);

/* What an answer is (answer.c, pure). KAGI_ABANDON_NONE: a credential to
 * check; anything else is why it is none, and counts nothing. */
/* A password or PIN prompt: no answer (NULL) or an empty one. */
enum kagi_abandon pk_secret_answer(const char *answer);
/* The code prompt: also the password just proved typed again (compared in
 * constant time), unless that password has the form of a code (`digits`
 * digits), which cannot be told from one. Removes the spaces authenticator
 * apps show ("123 456") in place. */
enum kagi_abandon pk_code_answer(char *answer, const char *password, unsigned digits);

/* Not at the card reader (remote.c): a remote host, or a service not in
 * [card] local_services. Then the card stack is not even loaded and no
 * PC/SC call is made at all. */
bool pk_login_is_remote(struct pk *pk);

/* The IC card (card.c). PK_CARD_REMOTE: not looked at, pk_login_is_remote. */
enum pk_card_state { PK_CARD_NO_READER, PK_CARD_ABSENT, PK_CARD_PRESENT, PK_CARD_REMOTE };
struct pk_card_ops;
struct pk_card {
        const struct pk_card_ops *ops;        /* the card stack that opened ctx */
        struct card_ctx *ctx;
        enum pk_card_state state;
        int err;                   /* why there is no reader (card_strerror) */
        char reader[128];
};
/* A quick look, without waiting: is a card in a reader? Loads the card
 * stack only when a card could be used: the login is at the reader, the
 * zone takes cards and pcscd's socket is there. */
int pk_card_probe(struct pk *pk, struct pk_card *c);
void pk_card_done(struct pk_card *c);
/* The whole card login; the broker's answer is left in m. Local failures
 * (no reader, card unreadable) are told to the user here. */
enum kagi_decision pk_card_login(struct pk *pk, struct pk_card *c, struct kagi_msg *m);

/* The card stack's side (card.c, in pam_kagi_card.so; plugin.c loads it). */
#define PK_CARD_OPS_VERSION 1
struct pk_card_ops {
        uint32_t version;
        size_t pk_size;                       /* both sides built from the same struct pk */
        int (*probe)(struct pk *pk, struct pk_card *c);
        void (*done)(struct pk_card *c);
        enum kagi_decision (*login)(struct pk *pk, struct pk_card *c, struct kagi_msg *m);
};
const struct pk_card_ops *pam_kagi_card_ops(void);

/* The attempt preauth reserved, added to a request that settles it. */
void pk_put_attempt(struct pk *pk, struct frame *req);
/* Remembers an account phase kagid decided along with the login's success. */
void pk_keep_account(struct pk *pk, enum kagi_decision d, const struct kagi_msg *m);

/* Grants asked for inline (grant.c): the proof of this transaction's login,
 * and the answer to a refusal for want of a grant — 1: a grant is active,
 * ask again; 0: not (the user was told). */
void pk_keep_proof(struct pk *pk, const struct kagi_msg *m);
int pk_inline_grant(struct pk *pk, const struct kagi_msg *refusal);

/* The phases (flow.c). Each returns a PAM code. */
int pk_authenticate(struct pk *pk);
int pk_preauth(struct pk *pk);
int pk_authfail(struct pk *pk);
int pk_account(struct pk *pk);
int pk_open_session(struct pk *pk);
int pk_close_session(struct pk *pk);
