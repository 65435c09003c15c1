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
 * (not the store): {name, targets[], holders[] (persons, groups expanded
 * through the directory), max_minutes, approval, approvers, break_glass}.
 * privileged.grants — one item per grant of the grants table requested,
 * active or ended in the period: {id, role, person (who asked), reason,
 * approver, requested_at, started_at, ended_at, requested_minutes,
 * extended_minutes (from the extensions), actual_minutes (from the live
 * sessions table: the minutes its sessions were open), end (active, expired,
 * ended, revoked, denied, pending), ended_by, break_glass}. */
int review_privileged(struct review *rv)
{
        int r = review_items(rv, "privileged", "roles", NULL);

        return r < 0 ? r : review_items(rv, "privileged", "grants", NULL);
}

/* shared.ids — one item per [shared NAME] of kagi.conf with its members
 * (groups expanded): {account, department, members[], max_concurrent}.
 * shared.uses — one item per session of a shared ID in the period, from the
 * live sessions table: {account, person (the member who logged in; null
 * when not attributed), terminal, service, start, end, minutes}.
 * shared.refusals — from the audit log's refused shared-ID logins:
 * {time, account, person, terminal, reason (not_member, shared_password,
 * concurrent, other), detail}. The accounts pass should then also type
 * those accounts "shared" with their members (review_accounts.c). */
int review_shared(struct review *rv)
{
        int r = review_items(rv, "shared", "ids", NULL);

        if (r >= 0)
                r = review_items(rv, "shared", "uses", NULL);
        return r < 0 ? r : review_items(rv, "shared", "refusals", NULL);
}
