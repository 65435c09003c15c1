/* libkagi-ctl: kagictl's side of kagid's socket.
 *
 * Holds: client_call, one request out and its records and RESULT back.
 * Never: decides anything (kagid checks who asks, by SO_PEERCRED), reads the
 * store or the directory, or keeps a secret it was sent longer than it takes
 * to print it.
 */
#pragma once

#include "common.h"

/* Send one request, receive the RESULT (records go to on_record). */
typedef int (*client_record_cb)(void *userdata, const struct kagi_msg *m);
int client_call(const char *socket, int timeout_ms, const struct frame *req,
                client_record_cb on_record, void *userdata, struct kagi_msg *ret);
