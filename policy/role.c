/* Privileged access by grant (PRIV-1, PRIV-2, PRIV-4) and shared IDs
 * (SID-1), as pure decisions: who may hold a role, what a request may ask,
 * who may approve it, who may use a shared ID. No I/O. */
#include <string.h>

#include "policy.h"

bool role_opens(const struct kagi_role *r, const char *account)
{
        return strv_contains(&r->targets, account);
}

bool config_is_target(const struct kagi_config *c, const char *account)
{
        for (size_t i = 0; i < c->n_roles; i++)
                if (role_opens(&c->roles[i], account))
                        return true;
        return false;
}

static bool listed(const struct strv *users, const struct strv *groups, const char *user,
                   const struct strv *user_groups)
{
        if (strv_contains(users, user))
                return true;
        for (size_t i = 0; user_groups && i < user_groups->n; i++)
                if (strv_contains(groups, user_groups->v[i]))
                        return true;
        return false;
}

bool role_held_by(const struct kagi_role *r, const char *person, const struct strv *groups)
{
        return listed(&r->users, &r->groups, person, groups);
}

enum grant_verdict role_request_check(const struct kagi_role *r, uint64_t duration, bool break_glass)
{
        if (duration == 0)
                return GRANT_NO_DURATION;
        /* refused, never silently shortened */
        if (duration > r->max_duration)
                return GRANT_TOO_LONG;
        if (break_glass && !r->break_glass)
                return GRANT_NO_BREAK_GLASS;
        return r->approval && !break_glass ? GRANT_PENDING : GRANT_ACTIVE;
}

enum grant_verdict role_approval_check(const struct kagi_role *r, const char *approver, const struct strv *groups,
                                       const char *requester)
{
        if (strcmp(approver, requester) == 0)
                return GRANT_SELF_APPROVAL;
        if (!r->approvers)
                return GRANT_NOT_APPROVER;
        for (size_t i = 0; groups && i < groups->n; i++)
                if (strcmp(groups->v[i], r->approvers) == 0)
                        return GRANT_ACTIVE;
        return GRANT_NOT_APPROVER;
}

bool shared_member(const struct kagi_shared *sh, const char *person, const struct strv *groups)
{
        return listed(&sh->users, &sh->groups, person, groups);
}

const char *grant_verdict_text(enum grant_verdict v)
{
        switch (v) {
        case GRANT_ACTIVE: return "active";
        case GRANT_PENDING: return "pending approval";
        case GRANT_NO_DURATION: return "a grant needs a duration";
        case GRANT_TOO_LONG: return "longer than the role's max_duration";
        case GRANT_NO_BREAK_GLASS: return "the role does not allow break-glass";
        case GRANT_SELF_APPROVAL: return "nobody approves their own grant";
        case GRANT_NOT_APPROVER: return "not a member of the role's approver group";
        }
        return "?";
}

const char *grant_verdict_words(enum grant_verdict v, enum kagi_lang lang)
{
        if (lang != KAGI_LANG_JA)
                return grant_verdict_text(v);
        switch (v) {
        case GRANT_ACTIVE: return "有効";
        case GRANT_PENDING: return "承認待ち";
        case GRANT_NO_DURATION: return "利用時間の指定が必要です";
        case GRANT_TOO_LONG: return "ロールの最長時間（max_duration）を超えています";
        case GRANT_NO_BREAK_GLASS: return "このロールでは緊急時利用（break-glass）は認められていません";
        case GRANT_SELF_APPROVAL: return "自分の申請を自分で承認することはできません";
        case GRANT_NOT_APPROVER: return "このロールの承認者グループに属していません";
        }
        return "?";
}

const char *grant_duration_unreadable(enum kagi_lang lang)
{
        return lang == KAGI_LANG_JA ? "30m や 2h のような時間として読めません" : "not a duration such as 30m or 2h";
}
