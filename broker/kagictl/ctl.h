/* libkagi-ctl: kagictl's side of kagid's socket.
 *
 * Holds: client_call, one request out and its records and RESULT back.
 * Never: talks to a socket kagid's user does not serve (SO_PEERCRED both
 * ways), decides anything (kagid checks who asks), reads the
 * store or the directory, or keeps a secret it was sent longer than it takes
 * to print it.
 */
#pragma once

#include "common.h"

/* Send one request, receive the RESULT (records go to on_record). Only to
 * kagid: a socket served by anyone but root or broker_uid ([broker] user) is
 * refused with -EPERM before anything is sent, its server's uid in
 * *ret_server_uid. */
typedef int (*client_record_cb)(void *userdata, const struct kagi_msg *m);
int client_call(const char *socket, uid_t broker_uid, int timeout_ms, const struct frame *req,
                client_record_cb on_record, void *userdata, struct kagi_msg *ret, uid_t *ret_server_uid);
