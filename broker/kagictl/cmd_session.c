/* kagictl session list, end: the live sessions kagid enforces, and ending
 * one (any live session, privileged or not) with an audited reason. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void print_session_row(json_object *j)
{
        static const struct column who[] = { { "id", 32 }, { "account", 10 }, { "person", 12 } };
        static const struct column where[] = { { "service", 6 },  { "terminal", 10 }, { "started", 20 },
                                               { "deadline", 0 } };

        out_row(j, who, ARRAY_SIZE(who));
        /* a grant 0 is an ordinary session: no deadline of its own */
        printf(" %-8s ", jint(j, "grant") ? jstr(j, "grant") : "-");
        out_row(j, where, ARRAY_SIZE(where));
        putchar('\n');
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
        printf("session ");
        out_field(j, "id", 0);
        printf(" is ending: its processes are told, then signalled, then killed\n");
        return 0;
}
