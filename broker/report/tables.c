/* The model's layout: its sections, each listing's columns and the labels of
 * their values. docs/report.schema.json describes the same members; the
 * tests validate every format's output against it, so the two cannot drift
 * apart unnoticed. */
#include "report_internal.h"

#define COLS(a) .cols = (a), .n_cols = ARRAY_SIZE(a)

const struct section_spec report_sections[S_MAX_] = {
        [S_ACCOUNTS] = { "accounts", L_SEC_ACCOUNTS, { "ACC-3", NULL } },
        [S_DORMANT] = { "dormant", L_SEC_DORMANT, { "ACC-2", NULL } },
        [S_FACTORS] = { "factors", L_SEC_FACTORS, { "ACC-1", "ACC-3", NULL } },
        [S_LOCKS] = { "locks", L_SEC_LOCKS, { "LOCK-1", NULL } },
        [S_PRIVILEGED] = { "privileged", L_SEC_PRIVILEGED, { "PRIV-1", "PRIV-2", "PRIV-4", NULL } },
        [S_SHARED] = { "shared", L_SEC_SHARED, { "SID-1", NULL } },
        [S_CARDS] = { "cards", L_SEC_CARDS, { "CARD-1", "CARD-2", "CARD-3" } },
        [S_INTEGRITY] = { "integrity", L_SEC_INTEGRITY, { "LOG-3", NULL } },
        [S_SERIES] = { "series", L_SEC_SERIES, { "LOG-1", NULL } },
};

static const struct enum_label account_types[] = {
        { "personal", "personal", "個人ID" },
        { "shared", "shared", "共用ID" },
        { "privileged", "privileged", "特権ID" },
        { "service", "service", "サービス用ID" },
        { NULL, NULL, NULL },
};

/* single factors, and factor sets written "card+pin" */
static const struct enum_label factors[] = {
        { "card", "IC card", "ICカード" },
        { "pin", "PIN", "PIN" },
        { "totp", "TOTP", "ワンタイムパスワード" },
        { "password", "password", "パスワード" },
        { NULL, NULL, NULL },
};

static const struct enum_label locked[] = {
        { "false", "", "" },
        { "true", "locked", "ロック中" },
        { NULL, NULL, NULL },
};

static const struct enum_label disabled[] = {
        { "false", "", "" },
        { "true", "disabled", "無効" },
        { NULL, NULL, NULL },
};

static const struct enum_label never[] = {
        { "false", "", "" },
        { "true", "never logged in", "ログイン記録なし" },
        { NULL, NULL, NULL },
};

static const struct enum_label not_admitted[] = {
        { "disabled", "disabled in the directory", "ディレクトリで無効" },
        { "no_directory_entry", "not in the directory", "ディレクトリに登録なし" },
        { "outside_zone", "outside the zone's users", "利用区分の対象外" },
        { "left", "moved or retired", "異動・退職済み" },
        { "other", "other", "その他" },
        { NULL, NULL, NULL },
};

static const struct enum_label unlock_how[] = {
        { "admin", "by an administrator", "管理者による解除" },
        { "timer", "after the configured time", "一定時間経過による解除" },
        { NULL, NULL, NULL },
};

static const struct enum_label approval[] = {
        { "false", "not needed", "不要" },
        { "true", "required", "必要" },
        { NULL, NULL, NULL },
};

static const struct enum_label allowed[] = {
        { "false", "no", "不可" },
        { "true", "allowed", "可" },
        { NULL, NULL, NULL },
};

static const struct enum_label grant_end[] = {
        { "active", "still active", "有効（継続中）" },
        { "expired", "expired", "期限満了" },
        { "ended", "ended by the person", "本人が終了" },
        { "revoked", "revoked", "取消し" },
        { "denied", "denied", "却下" },
        { "pending", "awaiting approval", "承認待ち" },
        { "lapsed", "lapsed unapproved", "承認されず失効" },
        { NULL, NULL, NULL },
};

static const struct enum_label review[] = {
        { "false", "", "" },
        { "true", "break-glass: review", "緊急利用（要確認）" },
        { NULL, NULL, NULL },
};

static const struct enum_label shared_refusal[] = {
        { "not_member", "not a registered member", "登録利用者以外によるログイン" },
        { "shared_password", "the shared password alone", "共用パスワードのみでのログイン" },
        { "concurrent", "more users at once than allowed", "同時利用の上限超過" },
        { "other", "other", "その他" },
        { NULL, NULL, NULL },
};

static const struct enum_label card_refusal[] = {
        { "other_person", "card presented for another person's ID", "他の職員のIDへのカード使用" },
        { "concurrent", "same card in two sessions at once", "同一カードの同時使用" },
        { NULL, NULL, NULL },
};

static const struct enum_label verdict[] = {
        { "false", "BROKEN: records changed, removed or reordered", "改ざん・欠落・順序の入替えを検出" },
        { "true", "intact", "異常なし" },
        { NULL, NULL, NULL },
};

static const struct enum_label scope[] = {
        { "chain", "the whole log, from its first record to its newest", "ログ全体（最初の記録から最新の記録まで）" },
        { NULL, NULL, NULL },
};

static const struct enum_label done[] = {
        { "false", "NOT verified", "未実施" },
        { "true", "verified", "実施済み" },
        { NULL, NULL, NULL },
};

static const struct column accounts[] = {
        { "name", L_COL_ACCOUNT, COL_STR, true, NULL },
        { "display_name", L_COL_NAME, COL_STR, false, NULL },
        { "type", L_COL_TYPE, COL_ENUM, true, account_types },
        { "department", L_DEPARTMENT, COL_STR, false, NULL },
        { "owner", L_COL_OWNER, COL_STR, false, NULL },
        { "members", L_COL_MEMBERS, COL_LIST, false, NULL },
        { "zone", L_COL_ZONE, COL_STR, false, NULL },
        { "factors", L_COL_FACTORS, COL_ENUMLIST, false, factors },
        { "last_success", L_COL_LAST_SUCCESS, COL_TIME, false, NULL },
        { "last_failure", L_COL_LAST_FAILURE, COL_TIME, false, NULL },
        { "failures", L_COL_FAILURES_NOW, COL_INT, false, NULL },
        { "locked", L_COL_LOCKED, COL_BOOL, false, locked },
        { "disabled", L_COL_DISABLED, COL_BOOL, false, disabled },
        { "created", L_COL_CREATED, COL_TIME, false, NULL },
};

static const struct column dormant[] = {
        { "account", L_COL_ACCOUNT, COL_STR, true, NULL },
        { "display_name", L_COL_NAME, COL_STR, false, NULL },
        { "type", L_COL_TYPE, COL_ENUM, true, account_types },
        { "department", L_DEPARTMENT, COL_STR, false, NULL },
        { "last_success", L_COL_LAST_SUCCESS, COL_TIME, false, NULL },
        { "idle_days", L_COL_IDLE_DAYS, COL_INT, false, NULL },
        { "never", L_COL_NEVER, COL_BOOL, true, never },
        { "created", L_COL_CREATED, COL_TIME, false, NULL },
};

static const struct column missing[] = {
        { "account", L_COL_ACCOUNT, COL_STR, true, NULL },
        { "display_name", L_COL_NAME, COL_STR, false, NULL },
        { "department", L_DEPARTMENT, COL_STR, false, NULL },
        { "zone", L_COL_ZONE, COL_STR, false, NULL },
        { "required", L_COL_REQUIRED, COL_ENUMLIST, true, factors },
        { "enrolled", L_COL_FACTORS, COL_ENUMLIST, true, factors },
        { "last_success", L_COL_LAST_SUCCESS, COL_TIME, false, NULL },
};

static const struct column not_admitted_cols[] = {
        { "account", L_COL_ACCOUNT, COL_STR, true, NULL },
        { "display_name", L_COL_NAME, COL_STR, false, NULL },
        { "department", L_DEPARTMENT, COL_STR, false, NULL },
        { "zone", L_COL_ZONE, COL_STR, false, NULL },
        { "reason", L_COL_REASON, COL_ENUM, true, not_admitted },
        { "detail", L_COL_DETAIL, COL_STR, false, NULL },
        { "last_success", L_COL_LAST_SUCCESS, COL_TIME, false, NULL },
};

static const struct column locks[] = {
        { "account", L_COL_ACCOUNT, COL_STR, true, NULL },
        { "display_name", L_COL_NAME, COL_STR, false, NULL },
        { "department", L_DEPARTMENT, COL_STR, false, NULL },
        { "locked_at", L_COL_LOCKED_AT, COL_TIME, true, NULL },
        { "failures", L_COL_LOCK_FAILURES, COL_EVENTS, false, NULL },
        { "unlocked_at", L_COL_UNLOCKED_AT, COL_TIME, false, NULL },
        { "unlock", L_COL_UNLOCK_HOW, COL_ENUM, false, unlock_how },
        { "unlocked_by", L_COL_UNLOCKED_BY, COL_STR, false, NULL },
        { "unlock_reason", L_COL_UNLOCK_REASON, COL_STR, false, NULL },
        { "locked_minutes", L_COL_LOCKED_MINUTES, COL_INT, false, NULL },
};

static const struct column roles[] = {
        { "name", L_COL_ROLE, COL_STR, true, NULL },
        { "targets", L_COL_TARGETS, COL_LIST, false, NULL },
        { "holders", L_COL_HOLDERS, COL_LIST, true, NULL },
        { "max_minutes", L_COL_MAX_MINUTES, COL_INT, false, NULL },
        { "approval", L_COL_APPROVAL, COL_BOOL, false, approval },
        { "approvers", L_COL_APPROVERS, COL_STR, false, NULL },
        { "break_glass", L_COL_BREAK_GLASS_ALLOWED, COL_BOOL, false, allowed },
};

static const struct column holders[] = {
        { "role", L_COL_ROLE, COL_STR, true, NULL },
        { "person", L_COL_PERSON, COL_STR, true, NULL },
        { "display_name", L_COL_NAME, COL_STR, false, NULL },
        { "department", L_DEPARTMENT, COL_STR, false, NULL },
        { "grants", L_COL_GRANTS, COL_INT, true, NULL },
        { "minutes", L_COL_MINUTES, COL_INT, true, NULL },
        { "last_grant", L_COL_LAST_GRANT, COL_TIME, false, NULL },
};

static const struct column grants[] = {
        { "id", L_COL_GRANT, COL_STR, true, NULL },
        { "role", L_COL_ROLE, COL_STR, true, NULL },
        { "person", L_COL_REQUESTER, COL_STR, true, NULL },
        { "display_name", L_COL_NAME, COL_STR, false, NULL },
        { "department", L_DEPARTMENT, COL_STR, false, NULL },
        { "reason", L_COL_REASON, COL_STR, false, NULL },
        { "approver", L_COL_APPROVER, COL_STR, false, NULL },
        { "requested_at", L_COL_REQUESTED_AT, COL_TIME, true, NULL },
        { "started_at", L_COL_STARTED_AT, COL_TIME, false, NULL },
        { "ended_at", L_COL_ENDED_AT, COL_TIME, false, NULL },
        { "requested_minutes", L_COL_REQUESTED_MINUTES, COL_INT, true, NULL },
        { "extended_minutes", L_COL_EXTENDED_MINUTES, COL_INT, false, NULL },
        { "actual_minutes", L_COL_ACTUAL_MINUTES, COL_INT, false, NULL },
        { "end", L_COL_END, COL_ENUM, true, grant_end },
        { "ended_by", L_COL_ENDED_BY, COL_STR, false, NULL },
        { "break_glass", L_COL_BREAK_GLASS, COL_BOOL, false, review },
};

static const struct column minutes[] = {
        { "person", L_COL_PERSON, COL_STR, true, NULL },
        { "display_name", L_COL_NAME, COL_STR, false, NULL },
        { "department", L_DEPARTMENT, COL_STR, false, NULL },
        { "grants", L_COL_GRANTS, COL_INT, true, NULL },
        { "minutes", L_COL_MINUTES, COL_INT, true, NULL },
        { "break_glass", L_COL_BREAK_GLASS, COL_INT, true, NULL },
};

static const struct column shared_ids[] = {
        { "account", L_COL_ACCOUNT, COL_STR, true, NULL },
        { "display_name", L_COL_NAME, COL_STR, false, NULL },
        { "department", L_DEPARTMENT, COL_STR, false, NULL },
        { "members", L_COL_MEMBERS, COL_LIST, true, NULL },
        { "max_concurrent", L_COL_MAX_CONCURRENT, COL_INT, false, NULL },
};

static const struct column shared_uses[] = {
        { "account", L_COL_ACCOUNT, COL_STR, true, NULL },
        { "person", L_COL_PERSON, COL_STR, false, NULL },
        { "display_name", L_COL_NAME, COL_STR, false, NULL },
        { "terminal", L_COL_TERMINAL, COL_STR, false, NULL },
        { "service", L_COL_SERVICE, COL_STR, false, NULL },
        { "start", L_COL_START, COL_TIME, true, NULL },
        { "end", L_COL_END_TIME, COL_TIME, false, NULL },
        { "minutes", L_COL_MINUTES, COL_INT, false, NULL },
};

static const struct column shared_refusals[] = {
        { "time", L_COL_TIME, COL_TIME, true, NULL },
        { "account", L_COL_ACCOUNT, COL_STR, true, NULL },
        { "person", L_COL_PERSON, COL_STR, false, NULL },
        { "terminal", L_COL_TERMINAL, COL_STR, false, NULL },
        { "reason", L_COL_REASON, COL_ENUM, true, shared_refusal },
        { "detail", L_COL_DETAIL, COL_STR, false, NULL },
};

static const struct column cards_active[] = {
        { "person", L_COL_PERSON, COL_STR, true, NULL },
        { "display_name", L_COL_NAME, COL_STR, false, NULL },
        { "department", L_DEPARTMENT, COL_STR, false, NULL },
        { "serial", L_COL_SERIAL, COL_STR, true, NULL },
        { "fingerprint", L_COL_FINGERPRINT, COL_STR, false, NULL },
        { "registered", L_COL_REGISTERED, COL_TIME, false, NULL },
};

static const struct column cards_revoked[] = {
        { "person", L_COL_PERSON, COL_STR, false, NULL },
        { "display_name", L_COL_NAME, COL_STR, false, NULL },
        { "department", L_DEPARTMENT, COL_STR, false, NULL },
        { "serial", L_COL_SERIAL, COL_STR, true, NULL },
        { "revoked_at", L_COL_REVOKED_AT, COL_TIME, true, NULL },
        { "revoked_by", L_COL_REVOKED_BY, COL_STR, false, NULL },
        { "reason", L_COL_REASON, COL_STR, false, NULL },
        { "attempts_after", L_COL_ATTEMPTS_AFTER, COL_INT, false, NULL },
        { "accepted_after", L_COL_ACCEPTED_AFTER, COL_INT, false, NULL },
};

static const struct column cards_retired[] = {
        { "person", L_COL_PERSON, COL_STR, false, NULL },
        { "display_name", L_COL_NAME, COL_STR, false, NULL },
        { "department", L_DEPARTMENT, COL_STR, false, NULL },
        { "serial", L_COL_SERIAL, COL_STR, true, NULL },
        { "retired_at", L_COL_RETIRED_AT, COL_TIME, false, NULL },
        { "replaced_by", L_COL_REPLACED_BY, COL_STR, false, NULL },
};

static const struct column card_sharing[] = {
        { "time", L_COL_TIME, COL_TIME, true, NULL },
        { "card_owner", L_COL_CARD_OWNER, COL_STR, false, NULL },
        { "serial", L_COL_SERIAL, COL_STR, false, NULL },
        { "account", L_COL_ACCOUNT, COL_STR, true, NULL },
        { "terminal", L_COL_TERMINAL, COL_STR, false, NULL },
        { "kind", L_COL_KIND, COL_ENUM, true, card_refusal },
};

static const struct column days[] = {
        { "date", L_COL_DATE, COL_DATE, true, NULL },
        { "logins", L_COL_LOGINS, COL_INT, true, NULL },
        { "failures", L_COL_FAILURES, COL_INT, true, NULL },
        { "locks", L_COL_LOCKS, COL_INT, false, NULL },
};

const struct table_spec report_tables[T_MAX_] = {
        [T_ACCOUNTS] = { S_ACCOUNTS, "items", "accounts", L_SEC_ACCOUNTS, COLS(accounts), false },
        [T_DORMANT] = { S_DORMANT, "items", "dormant", L_SEC_DORMANT, COLS(dormant), true },
        [T_MISSING] = { S_FACTORS, "missing", "factors.missing", L_TAB_MISSING, COLS(missing), false },
        [T_NOT_ADMITTED] = { S_FACTORS, "not_admitted", "factors.not_admitted", L_TAB_NOT_ADMITTED,
                             COLS(not_admitted_cols), false },
        [T_LOCKS] = { S_LOCKS, "items", "locks", L_SEC_LOCKS, COLS(locks), false },
        [T_ROLES] = { S_PRIVILEGED, "roles", "privileged.roles", L_TAB_ROLES, COLS(roles), false },
        [T_HOLDERS] = { S_PRIVILEGED, "holders", "privileged.holders", L_TAB_HOLDERS, COLS(holders), true },
        [T_GRANTS] = { S_PRIVILEGED, "grants", "privileged.grants", L_TAB_GRANTS, COLS(grants), false },
        [T_MINUTES] = { S_PRIVILEGED, "minutes", "privileged.minutes", L_TAB_MINUTES, COLS(minutes), true },
        [T_SHARED_IDS] = { S_SHARED, "ids", "shared.ids", L_TAB_SHARED_IDS, COLS(shared_ids), false },
        [T_SHARED_USES] = { S_SHARED, "uses", "shared.uses", L_TAB_SHARED_USES, COLS(shared_uses), false },
        [T_SHARED_REFUSALS] = { S_SHARED, "refusals", "shared.refusals", L_TAB_SHARED_REFUSALS,
                                COLS(shared_refusals), false },
        [T_CARDS_ACTIVE] = { S_CARDS, "active", "cards.active", L_TAB_CARDS_ACTIVE, COLS(cards_active), false },
        [T_CARDS_REVOKED] = { S_CARDS, "revoked", "cards.revoked", L_TAB_CARDS_REVOKED, COLS(cards_revoked),
                              false },
        [T_CARDS_RETIRED] = { S_CARDS, "retired", "cards.retired", L_TAB_CARDS_RETIRED, COLS(cards_retired),
                              false },
        [T_CARD_SHARING] = { S_CARDS, "sharing_refusals", "cards.sharing_refusals", L_TAB_CARD_SHARING,
                             COLS(card_sharing), false },
        [T_DAYS] = { S_SERIES, "days", "series.days", L_SEC_SERIES, COLS(days), false },
};

const struct column report_integrity_cols[] = {
        { "verified", L_COL_VERIFIED, COL_BOOL, true, done },
        { "ok", L_COL_INTEGRITY_OK, COL_BOOL, true, verdict },
        { "records", L_COL_RECORDS, COL_INT, true, NULL },
        { "scope", L_COL_SCOPE, COL_ENUM, false, scope },
        { "period_records", L_COL_PERIOD_RECORDS, COL_INT, false, NULL },
        { "first_bad", L_COL_FIRST_BAD, COL_INT, false, NULL },
        { "first_bad_time", L_COL_FIRST_BAD_TIME, COL_TIME, false, NULL },
        { "why", L_COL_WHY, COL_STR, false, NULL },
        { "verified_at", L_COL_VERIFIED_AT, COL_TIME, false, NULL },
};
const size_t report_n_integrity_cols = ARRAY_SIZE(report_integrity_cols);

const struct total_spec report_totals[] = {
        { "accounts", L_TOT_ACCOUNTS },
        { "dormant", L_TOT_DORMANT },
        { "missing_factors", L_TOT_MISSING },
        { "not_admitted", L_TOT_NOT_ADMITTED },
        { "locks", L_TOT_LOCKS },
        { "grants", L_TOT_GRANTS },
        { "break_glass", L_TOT_BREAK_GLASS },
        { "privileged_minutes", L_TOT_PRIV_MINUTES },
        { "shared_uses", L_TOT_SHARED_USES },
        { "unattributed_uses", L_TOT_UNATTRIBUTED },
        { "active_cards", L_TOT_CARDS },
        { "logins", L_TOT_LOGINS },
        { "failures", L_TOT_FAILURES },
        { "findings_fix", L_TOT_FINDINGS_FIX },
        { "findings_advise", L_TOT_FINDINGS_ADVISE },
};
const size_t report_n_totals = ARRAY_SIZE(report_totals);
