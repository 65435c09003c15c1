/* Private to broker/kagid/: the worker pools that answer requests the event
 * loop has read whole (pool.c). */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "request.h"

struct job {
        struct job *next;
        int fd;                               /* the connection; the job owns it */
        struct ucred cred;
        struct kagi_msg *msg;
        int64_t received;                     /* ms, CLOCK_MONOTONIC */
};

struct pool;
struct server;

/* n workers, each with its own store connection and directory handle. */
int pool_start(struct pool **ret, const char *name, size_t n, struct broker *b, struct server *srv, char *err,
               size_t errsz);
/* Takes ownership of j. */
void pool_push(struct pool *p, struct job *j);
/* Finishes the jobs queued, then joins the workers. */
void pool_stop(struct pool *p);
void job_free(struct job *j);

/* server.c, for the workers: the connection is done with. */
void server_release(struct server *srv, const struct ucred *cred);
