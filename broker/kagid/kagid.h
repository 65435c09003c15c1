/* libkagi-kagid: kagid's request handling — the socket and its workers
 * (server.c), the table of requests and who may send them (dispatch.c),
 * login decisions (login.c, attempts.c, auth.c, card.c, session.c,
 * abandon.c), the watch on logins whose process may end unanswered
 * (watch.c) and administration (admin.c, admin_card.c, json.c). main.c is
 * the daemon around it.
 *
 * Every decision that changes state is committed, with its audit record,
 * before its answer is sent. Never: trusts what a peer claims about itself
 * (SO_PEERCRED says who it is), answers a request it could not decide with
 * anything but a refusal, or logs a secret.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "certs.h"
#include "policy.h"
#include "secrets.h"

struct attempts;
struct proofs;
struct maint;
struct watch;

struct broker {
        struct kagi_config *cfg;
        struct kagi_keys keys;
        struct trust *trust;
        struct challenges *challenges;
        struct attempts *attempts;            /* logins in flight (attempts.c) */
        struct proofs *proofs;                /* fresh logins, for inline grant requests */
        struct maint *maint;                  /* kagid's timers (maint.c) */
        struct watch *watch;                  /* the processes of logins in progress (watch.c) */
        uid_t uid;                            /* the broker's own user */
        char host[256];
};

/* Loads the configuration and keys (creating keys unless check_only) and
 * checks what can be checked before serving: the directory's own files and,
 * when a zone takes cards, the card trust anchors. */
int broker_setup(struct broker *b, const char *config, bool check_only, char *err, size_t errsz);
void broker_teardown(struct broker *b);
/* Serves the socket until *stop is set. */
int server_run(struct broker *b, volatile int *stop);
