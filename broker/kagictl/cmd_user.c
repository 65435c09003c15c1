/* kagictl status, user list, user show, unlock. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* "label:   value" lines; the value escaped */
static void line(const char *label, json_object *j, const char *key)
{
        printf("%-15s", label);
        out_field(j, key, 0);
        putchar('\n');
}

static void print_state(json_object *j)
{
        line("account:", j, "account");
        printf("failures:      %lld of %lld%s\n", (long long)jint(j, "failures"), (long long)jint(j, "threshold"),
               jbool(j, "privileged") ? " (privileged account)" : "");
        printf("locked:        %s\n", jbool(j, "locked") ? "yes" : "no");
        line("locked since:", j, "locked_since");
        if (strcmp(jstr(j, "unlock_after"), "-") != 0)
                printf("unlocks after: %ss\n", jstr(j, "unlock_after"));
        if (jbool(j, "totp_enrolled")) {
                printf("totp:          enrolled ");
                out_field(j, "totp_enrolled_at", 0);
                printf(" (last clock skew %+lld steps)\n", (long long)jint(j, "totp_last_skew"));
        } else {
                printf("totp:          not enrolled\n");
        }
        line("last success:", j, "last_success");
        line("last failure:", j, "last_failure");
}

static void print_directory(json_object *j)
{
        json_object *groups;

        printf("in directory:  %s\n", jbool(j, "exists") ? (jbool(j, "enabled") ? "yes, enabled" : "yes, DISABLED")
                                                         : "NO");
        line("name:", j, "display_name");
        line("department:", j, "department");
        printf("groups:       ");
        if (json_object_object_get_ex(j, "groups", &groups))
                for (size_t i = 0; i < json_object_array_length(groups); i++) {
                        putchar(' ');
                        out_text(stdout, json_object_get_string(json_object_array_get_idx(groups, i)), 0);
                }
        printf("\n");
}

static int show(struct ctl *ctl, const char *user, bool with_directory)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(with_directory ? KAGI_REQ_USER_SHOW : KAGI_REQ_STATUS);
        _cleanup_(json_putp) json_object *j = NULL;
        int r;

        frame_put_str(req, KAGI_T_USER, user);
        r = call_json(ctl, req, &j);
        if (r)
                return r;
        if (ctl->json)
                return print_json(j);
        print_state(j);
        if (with_directory)
                print_directory(j);
        return 0;
}

int cmd_status(struct ctl *ctl, const struct args *a)
{
        return show(ctl, a->pos[0], false);
}

int cmd_user_show(struct ctl *ctl, const struct args *a)
{
        return show(ctl, a->pos[0], true);
}

static void print_user_row(json_object *j)
{
        out_field(j, "account", 20);
        printf(" %8lld %-7s %-5s ", (long long)jint(j, "failures"), jbool(j, "locked") ? "LOCKED" : "-",
               jbool(j, "totp_enrolled") ? "yes" : "no");
        out_field(j, "last_success", 20);
        printf(" %s\n", jbool(j, "privileged") ? "privileged" : "");
}

int cmd_user_list(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_USER_LIST);

        (void)a;
        return run_listing(ctl, req, print_user_row,
                           "ACCOUNT              FAILURES LOCK    TOTP  LAST SUCCESS");
}

int cmd_unlock(struct ctl *ctl, const struct args *a)
{
        _cleanup_(frame_freep) struct frame *req = frame_new(KAGI_REQ_UNLOCK);
        _cleanup_(json_putp) json_object *j = NULL;
        const char *user = a->pos[0];
        int r;

        if (!a->reason || !*a->reason)
                return die_usage("unlock: --reason TEXT is required (it is audited)");
        frame_put_str(req, KAGI_T_USER, user);
        frame_put_str(req, KAGI_T_REASON, a->reason);
        r = call_json(ctl, req, &j);
        if (r)
                return r;
        out_text(stdout, user, 0);
        printf(" unlocked (%s; %lld failure%s cleared)\n", jbool(j, "was_locked") ? "was locked" : "was not locked",
               (long long)jint(j, "failures_cleared"), jint(j, "failures_cleared") == 1 ? "" : "s");
        return 0;
}
