/* Telling approvers (PRIV-2): the role's notify command, run without a
 * shell, with the request in its environment. kagid never waits for it: a
 * slow mail relay holds up nobody's login. maint.c reaps it, and records
 * one that could not start or failed (grant-notify failed). */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>

#include "login.h"

void grant_notify(struct broker *b, const struct kagi_role *role, const struct grant_row *g, const char *event)
{
        char id[32], duration[32], ends[40], v[9][1100];
        char *argv[] = { role->notify, (char *)event, NULL };
        char *envp[ARRAY_SIZE(v) + 2];
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int r;

        if (!role->notify || (!g->break_glass && strcmp(g->state, "pending") != 0 && strcmp(event, "extension") != 0))
                return;
        snprintf(id, sizeof(id), "%lld", (long long)g->id);
        snprintf(duration, sizeof(duration), "%lld", (long long)(g->pending_extension ? g->pending_extension
                                                                                      : g->requested));
        time_format_utc(g->ends * 1000000, ends);
        snprintf(v[0], sizeof(v[0]), "KAGI_EVENT=%s", event);
        snprintf(v[1], sizeof(v[1]), "KAGI_GRANT_ID=%s", id);
        snprintf(v[2], sizeof(v[2]), "KAGI_ROLE=%s", g->role);
        snprintf(v[3], sizeof(v[3]), "KAGI_PERSON=%s", g->person);
        snprintf(v[4], sizeof(v[4]), "KAGI_REASON=%s", g->pending_extension ? g->extension_reason : g->reason);
        snprintf(v[5], sizeof(v[5]), "KAGI_DURATION=%s", duration);
        snprintf(v[6], sizeof(v[6]), "KAGI_STATE=%s", g->state);
        snprintf(v[7], sizeof(v[7]), "KAGI_APPROVERS=%s", role->approvers ? role->approvers : "");
        snprintf(v[8], sizeof(v[8]), "KAGI_ENDS=%s", g->ends ? ends : "");
        for (size_t i = 0; i < ARRAY_SIZE(v); i++)
                envp[i] = v[i];
        envp[ARRAY_SIZE(v)] = (char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        envp[ARRAY_SIZE(v) + 1] = NULL;
        /* its output goes where kagid's does; it reads nothing */
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        r = posix_spawn(&pid, role->notify, &fa, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0) {
                log_err("cannot run %s to tell the approvers of grant %s: %s", role->notify, id, strerror(r));
                maint_notified(b, -r, g, event);
                return;
        }
        maint_notified(b, pid, g, event);
        log_info("told the approvers of grant %s (%s) with %s, pid %d", id, event, role->notify, (int)pid);
}
