/* The review's sections whose records kagi does not keep yet: privileged
 * grants (PRIV-1, PRIV-2, PRIV-4) and shared IDs (SID-1). Today each sends
 * its members empty, which the schema allows and the report shows as "none
 * in this period"; the summary then marks their checks - (not applicable).
 *
 * To fill them in, add read-only questions to broker/store/review.c (SQL in
 * store.c's table, as the others) and send one item per row with
 * review_item(); keep the member names, the schema's
 * (docs/report.schema.json). The report derives privileged.holders,
 * privileged.minutes and the summary itself: never send those. */
#include "review.h"

/* privileged.roles — one item per [role NAME] of kagi.conf, from the policy
 * (rq->b->cfg->roles, not the store): {name, targets[], holders[] (its
 * users and its groups' members, through the directory), max_minutes
 * (max_duration / 60), approval, approvers, break_glass}.
 * privileged.grants — one item per grant requested, active or ended in the
 * period, from the grants table (struct grant_row; store_grants() lists
 * them, a review question in store/review.c should take the period):
 * {id, role, person (who asked), reason, approver, requested_at (created),
 * started_at (starts), ended_at (closed, or ends once expired),
 * requested_minutes (requested / 60), extended_minutes (extended / 60),
 * actual_minutes (the minutes its sessions were open: the sessions table's
 * rows with its grant_id), end (active, expired, ended, revoked, denied,
 * pending — from state and closed_by), ended_by (closed_by), break_glass}.
 * The accounts pass should then type the roles' targets "privileged". */
int review_privileged(struct review *rv)
{
        int r = review_items(rv, "privileged", "roles", NULL);

        return r < 0 ? r : review_items(rv, "privileged", "grants", NULL);
}

/* shared.ids — one item per [shared ACCOUNT] of kagi.conf
 * (rq->b->cfg->shared): {account, department, members[] (its users and its
 * groups' members, through the directory), max_concurrent (max_sessions)}.
 * shared.uses — one item per session of a shared ID in the period, from the
 * sessions table once it says which member opened it: {account, person
 * (the member; null when not attributed), terminal, service, start, end,
 * minutes}.
 * shared.refusals — from the audit log's refused shared-ID logins:
 * {time, account, person, terminal, reason (not_member, shared_password,
 * concurrent, other), detail}. The accounts pass should then type those
 * accounts "shared" with their members (review_accounts.c). */
int review_shared(struct review *rv)
{
        int r = review_items(rv, "shared", "ids", NULL);

        if (r >= 0)
                r = review_items(rv, "shared", "uses", NULL);
        return r < 0 ? r : review_items(rv, "shared", "refusals", NULL);
}
