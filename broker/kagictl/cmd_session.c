/* kagictl session list, end: the live sessions kagid enforces, and ending
 * one (any live session, privileged or not) with an audited reason. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void print_session_row(json_object *j)
{
        /* a grant 0 is an ordinary session: no deadline of its own */
        printf("%-32s %-10s %-12s %-8s %-6s %-10s %-20s %s\n", jstr(j, "id"), jstr(j, "account"), jstr(j, "person"),
               jint(j, "grant") ? jstr(j, "grant") : "-", jstr(j, "service"), jstr(j, "terminal"),
               jstr(j, "started"), jstr(j, "deadline"));
}

int cmd_session_list(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_SESSION_LIST);

        (void)a;
        return run_listing(ctl, req, print_session_row,
                           "ID                               ACCOUNT    PERSON       GRANT    SERVICE TERMINAL   "
                           "STARTED              DEADLINE");
}

int cmd_session_end(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_SESSION_END);
        _cleanup_(json_putp) json_object *j = NULL;
        int r;

        if (!a->reason || !*a->reason)
                return die_usage("session end: --reason TEXT is required (it is audited)");
        frame_put_str(req, KAGI_T_SESSION, a->pos[0]);
        frame_put_str(req, KAGI_T_REASON, a->reason);
        r = call_json(ctl, req, &j);
        if (r)
                return r;
        if (ctl->json)
                return print_json(j);
        printf("session %s is ending: its processes are told, then signalled, then killed\n", jstr(j, "id"));
        return 0;
}
