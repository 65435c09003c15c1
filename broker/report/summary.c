/* The committee's summary: check items × departments, each cell ○ △ × or -,
 * and the findings behind every △ and ×.
 *
 * A cell starts at - (nothing to check). A department that has something the
 * check applies to (an account, a holder, a grant, a shared ID, a card) gets
 * ○; each rule that matches raises the cell to its mark, and the worst mark
 * stays. Every rule is in rules[] with its wording for the report, so what
 * the report prints as its criteria is what this file does.
 * docs/report-rules.md is the same text for kagictl(8). */
#include <errno.h>
#include <string.h>

#include "report_internal.h"

#define SUMMARY_RULES_VERSION 1
#define LOCKS_REPEATED 3            /* locks of one account in the period */
#define OVERRUN_GRACE_MINUTES 1     /* kagid's HUP, TERM, kill sequence takes seconds */

enum check_id {
        C_DORMANT,
        C_FACTORS,
        C_ACCESS,
        C_LOCKOUT,
        C_PRIV_HOLDERS,
        C_PRIV_APPROVAL,
        C_PRIV_TIME,
        C_SHARED,
        C_CARD_SHARING,
        C_CARD_REVOKED,
        C_CARD_RETIRED,
        C_INTEGRITY,
        C_MAX_
};

static const struct {
        const char *id;
        const char *clause;
        enum label label;
} checks[C_MAX_] = {
        [C_DORMANT] = { "dormant", "ACC-2", L_CHK_DORMANT },
        [C_FACTORS] = { "factors", "ACC-1", L_CHK_FACTORS },
        [C_ACCESS] = { "access", "ACC-3", L_CHK_ACCESS },
        [C_LOCKOUT] = { "lockout", "LOCK-1", L_CHK_LOCKOUT },
        [C_PRIV_HOLDERS] = { "privileged_holders", "PRIV-1", L_CHK_PRIV_HOLDERS },
        [C_PRIV_APPROVAL] = { "privileged_approval", "PRIV-2", L_CHK_PRIV_APPROVAL },
        [C_PRIV_TIME] = { "privileged_time", "PRIV-4", L_CHK_PRIV_TIME },
        [C_SHARED] = { "shared_ids", "SID-1", L_CHK_SHARED },
        [C_CARD_SHARING] = { "card_sharing", "CARD-1", L_CHK_CARD_SHARING },
        [C_CARD_REVOKED] = { "card_revocation", "CARD-2", L_CHK_CARD_REVOKED },
        [C_CARD_RETIRED] = { "card_retirement", "CARD-3", L_CHK_CARD_RETIRED },
        [C_INTEGRITY] = { "audit_integrity", "LOG-3", L_CHK_INTEGRITY },
};

enum rule_id {
        R_DORMANT,
        R_NEVER,
        R_FACTORS,
        R_ADMITTED,
        R_UNLOCK_UNRECORDED,
        R_STILL_LOCKED,
        R_LOCKED_REPEATEDLY,
        R_HOLDER_UNUSED,
        R_UNAPPROVED,
        R_SELF_APPROVED,
        R_BREAK_GLASS,
        R_OVERRUN,
        R_EXTENDED,
        R_SHARED_UNATTRIBUTED,
        R_SHARED_NON_MEMBER,
        R_SHARED_REFUSED,
        R_CARD_SHARING,
        R_CARD_ACCEPTED,
        R_CARD_TRIED,
        R_CARDS_SEVERAL,
        R_CHAIN_BROKEN,
        R_CHAIN_UNVERIFIED,
        R_MAX_
};

/* text: the criterion as the report states it ({1} = dormant days);
 * msg: one finding ({1}.. as each rule's code below fills them). */
static const struct rule {
        const char *id;
        enum check_id check;
        enum mark mark;
        const char *text[REPORT_LANG_MAX_];
        const char *msg[REPORT_LANG_MAX_];
} rules[R_MAX_] = {
        [R_DORMANT] = { "ACC-2.dormant", C_DORMANT, MARK_ADVISE,
                { "An account has had no successful login for {1} days or more before the end of the period.",
                  "期間の末日までの{1}日以上、ログイン成功の記録がないIDがある。" },
                { "{1}: no successful login for {2} days (last on {3}).",
                  "{1}：最終ログイン（{3}）から{2}日間使用されていない。" } },
        [R_NEVER] = { "ACC-2.never", C_DORMANT, MARK_ADVISE,
                { "An account has never logged in (accounts created less than {1} days before the end of the period aside).",
                  "一度もログインされていないIDがある（作成から{1}日未満のものを除く）。" },
                { "{1}: has never logged in.", "{1}：一度もログインされていない。" } },
        [R_FACTORS] = { "ACC-1.factors", C_FACTORS, MARK_ADVISE,
                { "An account lacks the factors its zone requires. kagi refuses its logins, so it is a leftover or an unfinished enrolment.",
                  "利用区分が求める認証要素が登録されていないIDがある（ログインは拒否されるため、不要IDの残存又は登録手続の未完了と考えられる）。" },
                { "{1}: lacks the factors zone {2} requires ({3}).",
                  "{1}：利用区分「{2}」で必要な認証要素（{3}）が登録されていない。" } },
        [R_ADMITTED] = { "ACC-3.admitted", C_ACCESS, MARK_FIX,
                { "An account can log in although it should not: disabled or missing in the directory, outside the zone's users, moved or retired.",
                  "利用資格がない（ディレクトリで無効又は未登録、利用区分の対象外、異動・退職済み）にもかかわらず、ログインできるIDがある。" },
                { "{1}: can still log in to zone {2} ({3}).",
                  "{1}：{3}であるにもかかわらず、利用区分「{2}」にログインできる状態にある。" } },
        [R_UNLOCK_UNRECORDED] = { "LOCK-1.unrecorded-unlock", C_LOCKOUT, MARK_FIX,
                { "An unlock by an administrator does not record who unlocked or why.",
                  "管理者によるロック解除の記録に、解除者又は解除理由がない。" },
                { "{1}: unlocked on {2} without a recorded administrator or reason.",
                  "{1}：{2}のロック解除について、解除者又は解除理由が記録されていない。" } },
        [R_STILL_LOCKED] = { "LOCK-1.still-locked", C_LOCKOUT, MARK_ADVISE,
                { "An account is still locked at the end of the period: unlock it after checking with its owner, or remove it.",
                  "期間末時点でロックされたままのIDがある（本人確認の上での解除又はIDの削除が必要）。" },
                { "{1}: locked since {2}.", "{1}：{2}からロックされたままである。" } },
        [R_LOCKED_REPEATEDLY] = { "LOCK-1.repeated", C_LOCKOUT, MARK_ADVISE,
                { "An account was locked 3 times or more in the period.",
                  "期間中に3回以上ロックされたIDがある。" },
                { "{1}: locked {2} times in the period.", "{1}：期間中に{2}回ロックされている。" } },
        [R_HOLDER_UNUSED] = { "PRIV-1.unused", C_PRIV_HOLDERS, MARK_ADVISE,
                { "A holder of a privileged role used no grant of it in the period: is the holding still needed?",
                  "期間中に一度も特権を利用していない特権ロール保有者がいる（保有の必要性を確認すること）。" },
                { "{1}: holds role {2} and used no grant of it.",
                  "{1}：特権ロール「{2}」を保有しているが、期間中に利用していない。" } },
        [R_UNAPPROVED] = { "PRIV-2.unapproved", C_PRIV_APPROVAL, MARK_FIX,
                { "A grant became active without an approver although its role requires approval (break-glass aside).",
                  "承認を要する特権が、緊急時利用によらず承認者なしで有効になっている。" },
                { "Grant {1} ({2}, role {3}): active without the approval the role requires.",
                  "付与番号{1}（{2}、特権ロール「{3}」）：承認を要する特権が承認なしで有効になっている。" } },
        [R_SELF_APPROVED] = { "PRIV-2.self-approved", C_PRIV_APPROVAL, MARK_FIX,
                { "A grant was approved by the person who asked for it.",
                  "申請者本人が特権の付与を承認している。" },
                { "Grant {1} ({2}, role {3}): approved by the requester.",
                  "付与番号{1}（{2}、特権ロール「{3}」）：申請者本人が承認している。" } },
        [R_BREAK_GLASS] = { "PRIV-2.break-glass", C_PRIV_APPROVAL, MARK_ADVISE,
                { "A break-glass grant was used; it is to be confirmed after the fact.",
                  "緊急時の特権利用（承認前の利用）があった。事後の確認を要する。" },
                { "Grant {1} ({2}, role {3}): break-glass, reason \"{4}\".",
                  "付与番号{1}（{2}、特権ロール「{3}」）：緊急時の利用（理由「{4}」）。" } },
        [R_OVERRUN] = { "PRIV-4.overrun", C_PRIV_TIME, MARK_FIX,
                { "Privileged use went on more than a minute past the time granted (asked plus extended).",
                  "特権の使用時間が、付与時間（申請時間と延長時間の合計）を1分を超えて上回っている。" },
                { "Grant {1} ({2}, role {3}): used {4} minutes of the {5} granted.",
                  "付与番号{1}（{2}、特権ロール「{3}」）：付与時間{5}分に対し{4}分使用されている。" } },
        [R_EXTENDED] = { "PRIV-4.extended", C_PRIV_TIME, MARK_ADVISE,
                { "A grant was extended: was the time asked for planned well?",
                  "特権の付与時間が延長されている（作業計画の妥当性を確認すること）。" },
                { "Grant {1} ({2}, role {3}): extended by {4} minutes.",
                  "付与番号{1}（{2}、特権ロール「{3}」）：{4}分延長されている。" } },
        [R_SHARED_UNATTRIBUTED] = { "SID-1.unattributed", C_SHARED, MARK_FIX,
                { "A use of a shared ID is not attributed to a person.",
                  "利用者を特定できない共用IDの利用がある。" },
                { "{1}: used on {2} from {3} by no identified person.",
                  "{1}：{2}の端末{3}からの利用について、利用者を特定できない。" } },
        [R_SHARED_NON_MEMBER] = { "SID-1.non-member", C_SHARED, MARK_FIX,
                { "A shared ID was used by a person who is not a registered member.",
                  "登録利用者以外が共用IDを利用している。" },
                { "{1}: used on {3} by {2}, who is not a registered member.",
                  "{1}：登録利用者でない{2}が{3}に利用している。" } },
        [R_SHARED_REFUSED] = { "SID-1.refused", C_SHARED, MARK_ADVISE,
                { "A login to a shared ID was refused as misuse (not a member, or the shared password alone); it counts for the person's department when the person is known.",
                  "共用IDへの不正なログイン（登録利用者以外、共用パスワードのみ等）が拒否された（本人が特定できる場合は本人の課等に付す）。" },
                { "{1}: refused on {3} for {2} ({4}).",
                  "{1}：{3}、{2}によるログインを拒否した（{4}）。" } },
        [R_CARD_SHARING] = { "CARD-1.sharing", C_CARD_SHARING, MARK_ADVISE,
                { "An IC card was presented for another person's ID, or in two sessions at once (refused); it counts for the card owner's and the account's departments.",
                  "他の職員のIDへのICカードの使用又は同一カードの同時使用があった（拒否済み。カード所有者及びIDの双方の課等に付す）。" },
                { "Card of {1} presented on {3} for {2} ({4}).",
                  "{1}のICカードが、{3}に{2}のログインに使用された（{4}）。" } },
        [R_CARD_ACCEPTED] = { "CARD-2.accepted", C_CARD_REVOKED, MARK_FIX,
                { "A revoked card was accepted after its revocation.",
                  "利用停止したICカードにより、停止後に認証が成功している。" },
                { "Card {1} of {2}: accepted {3} times after it was revoked.",
                  "{2}のICカード（{1}）：利用停止後に{3}回認証に成功している。" } },
        [R_CARD_TRIED] = { "CARD-2.tried", C_CARD_REVOKED, MARK_ADVISE,
                { "A revoked card was tried after its revocation (refused): where is the card?",
                  "利用停止したICカードの使用が停止後に試みられた（拒否済み。カードの所在を確認すること）。" },
                { "Card {1} of {2}: tried {3} times after it was revoked.",
                  "{2}のICカード（{1}）：利用停止後に{3}回使用が試みられた。" } },
        [R_CARDS_SEVERAL] = { "CARD-3.several", C_CARD_RETIRED, MARK_ADVISE,
                { "A person has more than one active card: a replaced card was not retired.",
                  "有効なICカードを2枚以上保有する職員がいる（更新前カードの廃止漏れ）。" },
                { "{1}: {2} active cards.", "{1}：有効なICカードが{2}枚ある。" } },
        [R_CHAIN_BROKEN] = { "LOG-3.broken", C_INTEGRITY, MARK_FIX,
                { "The audit log's hash chain is broken: records were changed, removed or reordered. Every department is marked, since any record may be affected.",
                  "監査ログのハッシュ連鎖に異常がある（記録の改ざん、削除又は順序の入替え）。いずれの記録にも影響し得るため、全課等に付す。" },
                { "Audit chain broken at record {1}: {2} ({3} records checked).",
                  "監査ログの連鎖が記録番号{1}で途切れている：{2}（検証した記録{3}件）。" } },
        [R_CHAIN_UNVERIFIED] = { "LOG-3.unverified", C_INTEGRITY, MARK_FIX,
                { "The audit log was not verified for this report. Every department is marked.",
                  "本報告の作成に当たり監査ログの検証が行われていない。全課等に付す。" },
                { "The audit chain was not verified.", "監査ログの連鎖が検証されていない。" } },
};

static const char *const mark_codes[MARK_MAX_] = { "none", "good", "advise", "fix" };
static const char *const mark_symbols[MARK_MAX_] = { "-", "○", "△", "×" };
static const enum label mark_labels[MARK_MAX_] = { L_MARK_NONE, L_MARK_GOOD, L_MARK_ADVISE, L_MARK_FIX };

const char *mark_code(enum mark m) { return (unsigned)m < MARK_MAX_ ? mark_codes[m] : "none"; }
const char *mark_symbol(enum mark m) { return (unsigned)m < MARK_MAX_ ? mark_symbols[m] : "-"; }
enum label mark_label(enum mark m) { return (unsigned)m < MARK_MAX_ ? mark_labels[m] : L_MARK_NONE; }

int mark_from_code(const char *s, enum mark *ret)
{
        for (int m = 0; m < MARK_MAX_; m++)
                if (s && strcmp(s, mark_codes[m]) == 0) {
                        *ret = (enum mark)m;
                        return 0;
                }
        return -EINVAL;
}

struct dept {
        const char *name;                     /* "" = no department */
        uint8_t marks[C_MAX_];
};

struct state {
        struct report *r;
        struct dept *d;
        size_t n, cap;
        struct json_object *index;            /* name → position in d */
        struct json_object *findings;
        int64_t n_fix, n_advise;
        struct sbuf msg, who;
        bool oom;
};

static struct dept *dept(struct state *s, const char *name)
{
        struct json_object *pos;

        if (!name)
                name = "";
        pos = jget(s->index, name);
        if (pos)
                return &s->d[json_object_get_int64(pos)];
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 16;
                struct dept *d = realloc(s->d, cap * sizeof(*d));

                if (!d) {
                        s->oom = true;
                        return NULL;
                }
                s->d = d;
                s->cap = cap;
        }
        s->d[s->n] = (struct dept){ .name = name };
        json_object_object_add(s->index, name, json_object_new_int64((int64_t)s->n));
        return &s->d[s->n++];
}

static void raise_mark(struct dept *d, enum check_id c, enum mark m)
{
        if (d && d->marks[c] < m)
                d->marks[c] = (uint8_t)m;
}

/* The department has something this check looks at. */
static void applies(struct state *s, enum check_id c, const char *department)
{
        raise_mark(dept(s, department), c, MARK_GOOD);
}

/* "tanaka（田中 太郎）" / "tanaka (田中 太郎)" */
static const char *who(struct state *s, const char *account, const char *display_name)
{
        sbuf_reset(&s->who);
        sbuf_adds(&s->who, account && *account ? account : label(s->r->lang, L_UNKNOWN_PERSON));
        if (display_name && *display_name) {
                sbuf_adds(&s->who, s->r->lang == REPORT_JA ? "（" : " (");
                sbuf_adds(&s->who, display_name);
                sbuf_adds(&s->who, s->r->lang == REPORT_JA ? "）" : ")");
        }
        return sbuf_str(&s->who);
}

/* A rule matched: the department's cell takes its mark (every department
 * when department is NULL), and the finding is listed. */
static void finding(struct state *s, enum rule_id id, bool all, const char *department, const char *subject,
                    const char *const *args, size_t n_args)
{
        const struct rule *rule = &rules[id];
        struct json_object *f;

        if (all)
                for (size_t i = 0; i < s->n; i++)
                        raise_mark(&s->d[i], rule->check, rule->mark);
        else
                raise_mark(dept(s, department), rule->check, rule->mark);
        sbuf_reset(&s->msg);
        label_fill(&s->msg, rule->msg[s->r->lang], args, n_args);
        f = json_object_new_object();
        if (!f) {
                s->oom = true;
                return;
        }
        json_object_object_add(f, "check", json_object_new_string(checks[rule->check].id));
        json_object_object_add(f, "clause", json_object_new_string(checks[rule->check].clause));
        json_object_object_add(f, "rule", json_object_new_string(rule->id));
        json_object_object_add(f, "mark", json_object_new_string(mark_code(rule->mark)));
        json_object_object_add(f, "department",
                               all ? json_object_new_null() : json_object_new_string(department ? department : ""));
        json_object_object_add(f, "subject", subject ? json_object_new_string(subject) : json_object_new_null());
        json_object_object_add(f, "message", json_object_new_string(sbuf_str(&s->msg)));
        json_object_array_add(s->findings, f);
        if (rule->mark == MARK_FIX)
                s->n_fix++;
        else
                s->n_advise++;
}

static void day_of(const struct report *r, const char *time, char buf[static 32])
{
        int64_t t;

        if (time_parse(time, &t) < 0)
                snprintf(buf, 32, "?");
        else
                time_format(t, r->meta.offset_min, buf);
}

static void check_accounts(struct state *s)
{
        const struct report *r = s->r;

        for (size_t i = 0; i < jlen(r->tables[T_ACCOUNTS]); i++) {
                const char *d = jstr(jidx(r->tables[T_ACCOUNTS], i), "department");

                applies(s, C_DORMANT, d);
                applies(s, C_FACTORS, d);
                applies(s, C_ACCESS, d);
                applies(s, C_LOCKOUT, d);
        }
        for (size_t i = 0; i < jlen(r->tables[T_DORMANT]); i++) {
                struct json_object *x = jidx(r->tables[T_DORMANT], i);
                char days[24], last[32];
                const char *args[3];

                snprintf(days, sizeof(days), "%lld", (long long)jint(x, "idle_days", 0));
                day_of(r, jstr(x, "last_success"), last);
                last[10] = '\0';                                    /* the date is enough */
                args[0] = who(s, jstr(x, "account"), jstr(x, "display_name"));
                args[1] = days;
                args[2] = last;
                finding(s, jbool(x, "never") ? R_NEVER : R_DORMANT, false, jstr(x, "department"),
                        jstr(x, "account"), args, 3);
        }
        for (size_t i = 0; i < jlen(r->tables[T_MISSING]); i++) {
                struct json_object *x = jidx(r->tables[T_MISSING], i);
                struct sbuf sets = { 0 };
                const char *args[3];

                /* "ICカード+PIN、パスワード+ワンタイムパスワード", as the listing shows them */
                cell_format(r, &report_tables[T_MISSING].cols[4], x, &sets);
                args[0] = who(s, jstr(x, "account"), report_display_name(r, x, "account"));
                args[1] = jstr(x, "zone") ? jstr(x, "zone") : "?";
                args[2] = sbuf_str(&sets);
                finding(s, R_FACTORS, false, report_department(r, x, "account"), jstr(x, "account"), args, 3);
                sbuf_free(&sets);
        }
        for (size_t i = 0; i < jlen(r->tables[T_NOT_ADMITTED]); i++) {
                struct json_object *x = jidx(r->tables[T_NOT_ADMITTED], i);
                const struct column *c = &report_tables[T_NOT_ADMITTED].cols[4];
                const char *args[3];

                args[0] = who(s, jstr(x, "account"), report_display_name(r, x, "account"));
                args[1] = jstr(x, "zone") ? jstr(x, "zone") : "?";
                args[2] = enum_label(c->values, r->lang, jstr(x, "reason"));
                finding(s, R_ADMITTED, false, report_department(r, x, "account"), jstr(x, "account"), args, 3);
        }
}

static void check_locks(struct state *s)
{
        const struct report *r = s->r;
        const struct json_object *locks = r->tables[T_LOCKS];
        _cleanup_(json_object_putp) struct json_object *per_account = json_object_new_object();

        if (!per_account) {
                s->oom = true;
                return;
        }
        for (size_t i = 0; i < jlen(locks); i++) {
                struct json_object *l = jidx(locks, i), *n;
                const char *account = jstr(l, "account"), *how = jstr(l, "unlock");
                const char *d = report_department(r, l, "account");
                char when[32];
                const char *args[2];

                applies(s, C_LOCKOUT, d);
                args[0] = who(s, account, report_display_name(r, l, "account"));
                if (jstr(l, "unlocked_at")) {
                        /* a timed unlock is kagi's own: only a person's needs a name and a reason */
                        bool by_person = !how || strcmp(how, "timer") != 0;
                        const char *by = jstr(l, "unlocked_by"), *why = jstr(l, "unlock_reason");

                        if (by_person && (!by || !*by || !why || !*why)) {
                                day_of(r, jstr(l, "unlocked_at"), when);
                                args[1] = when;
                                finding(s, R_UNLOCK_UNRECORDED, false, d, account, args, 2);
                        }
                } else {
                        day_of(r, jstr(l, "locked_at"), when);
                        args[1] = when;
                        finding(s, R_STILL_LOCKED, false, d, account, args, 2);
                }
                n = jget(per_account, account);
                if (n)
                        json_object_set_int64(n, json_object_get_int64(n) + 1);
                else
                        json_object_object_add(per_account, account, json_object_new_int64(1));
        }
        /* once per account, in the order the accounts first appear */
        for (size_t i = 0; i < jlen(locks); i++) {
                struct json_object *l = jidx(locks, i), *n = jget(per_account, jstr(l, "account"));
                char times[24];
                const char *args[2];

                if (!n || json_object_get_int64(n) < LOCKS_REPEATED) {
                        continue;
                }
                snprintf(times, sizeof(times), "%lld", (long long)json_object_get_int64(n));
                args[0] = who(s, jstr(l, "account"), report_display_name(r, l, "account"));
                args[1] = times;
                finding(s, R_LOCKED_REPEATEDLY, false, report_department(r, l, "account"), jstr(l, "account"),
                        args, 2);
                json_object_set_int64(n, 0);
        }
}

static const struct json_object *find_by(const struct json_object *a, const char *key, const char *value)
{
        for (size_t i = 0; value && i < jlen(a); i++) {
                const char *v = jstr(jidx(a, i), key);

                if (v && strcmp(v, value) == 0)
                        return jidx(a, i);
        }
        return NULL;
}

static bool list_has(const struct json_object *list, const char *s)
{
        for (size_t i = 0; s && i < jlen(list); i++)
                if (jstr_at(list, i) && strcmp(jstr_at(list, i), s) == 0)
                        return true;
        return false;
}

static void check_privileged(struct state *s)
{
        const struct report *r = s->r;

        for (size_t i = 0; i < jlen(r->tables[T_HOLDERS]); i++) {
                struct json_object *h = jidx(r->tables[T_HOLDERS], i);
                const char *args[2];

                applies(s, C_PRIV_HOLDERS, jstr(h, "department"));
                if (jint(h, "grants", 0) > 0)
                        continue;
                args[0] = who(s, jstr(h, "person"), jstr(h, "display_name"));
                args[1] = jstr(h, "role");
                finding(s, R_HOLDER_UNUSED, false, jstr(h, "department"), jstr(h, "person"), args, 2);
        }
        for (size_t i = 0; i < jlen(r->tables[T_GRANTS]); i++) {
                struct json_object *g = jidx(r->tables[T_GRANTS], i);
                const struct json_object *role = find_by(r->tables[T_ROLES], "name", jstr(g, "role"));
                const char *d = report_department(r, g, "person"), *end = jstr(g, "end");
                const char *approver = jstr(g, "approver"), *person = jstr(g, "person");
                bool used = strcmp(end, "denied") != 0 && strcmp(end, "pending") != 0 && strcmp(end, "lapsed") != 0;
                /* a role the model does not describe is held to the strict rule */
                bool needs_approval = !role || !jget(role, "approval") || jbool(role, "approval");
                int64_t granted = jint(g, "requested_minutes", 0) + jint(g, "extended_minutes", 0);
                char used_min[24], granted_min[24], extended[24];
                const char *args[5];

                applies(s, C_PRIV_APPROVAL, d);
                applies(s, C_PRIV_TIME, d);
                args[0] = jstr(g, "id");
                args[1] = who(s, person, report_display_name(r, g, "person"));
                args[2] = jstr(g, "role");
                args[3] = jstr(g, "reason") ? jstr(g, "reason") : "";
                if (used && !jbool(g, "break_glass") && needs_approval && (!approver || !*approver))
                        finding(s, R_UNAPPROVED, false, d, person, args, 3);
                if (approver && strcmp(approver, person) == 0)
                        finding(s, R_SELF_APPROVED, false, d, person, args, 3);
                if (used && jbool(g, "break_glass"))
                        finding(s, R_BREAK_GLASS, false, d, person, args, 4);
                if (jint(g, "actual_minutes", 0) > granted + OVERRUN_GRACE_MINUTES) {
                        snprintf(used_min, sizeof(used_min), "%lld", (long long)jint(g, "actual_minutes", 0));
                        snprintf(granted_min, sizeof(granted_min), "%lld", (long long)granted);
                        args[3] = used_min;
                        args[4] = granted_min;
                        finding(s, R_OVERRUN, false, d, person, args, 5);
                }
                if (jint(g, "extended_minutes", 0) > 0) {
                        snprintf(extended, sizeof(extended), "%lld", (long long)jint(g, "extended_minutes", 0));
                        args[3] = extended;
                        finding(s, R_EXTENDED, false, d, person, args, 4);
                }
        }
}

/* A shared ID answers for its uses through its own department. */
static const char *shared_department(const struct report *r, const char *account)
{
        const struct json_object *id = find_by(r->tables[T_SHARED_IDS], "account", account);
        const char *d = jstr(id, "department");

        return d ? d : jstr(report_account(r, account), "department");
}

static void check_shared(struct state *s)
{
        const struct report *r = s->r;
        const struct json_object *ids = r->tables[T_SHARED_IDS];
        _cleanup_(json_object_putp) struct json_object *by_account = json_object_new_object();

        if (!by_account) {
                s->oom = true;
                return;
        }
        /* uses may be tens of thousands: look shared IDs up by name, not by scanning */
        for (size_t i = 0; i < jlen(ids); i++) {
                struct json_object *id = jidx(ids, i);

                applies(s, C_SHARED, shared_department(r, jstr(id, "account")));
                if (!jget(by_account, jstr(id, "account")))
                        json_object_object_add(by_account, jstr(id, "account"), json_object_get(id));
        }
        for (size_t i = 0; i < jlen(r->tables[T_SHARED_USES]); i++) {
                struct json_object *u = jidx(r->tables[T_SHARED_USES], i);
                const char *account = jstr(u, "account"), *person = jstr(u, "person");
                struct json_object *id = jget(by_account, account);
                const char *d = jstr(id, "department");
                char when[32];
                const char *args[3];

                if (!d)
                        d = jstr(report_account(r, account), "department");
                applies(s, C_SHARED, d);
                day_of(r, jstr(u, "start"), when);
                args[0] = account;
                args[2] = when;
                if (!person || !*person) {
                        args[1] = when;
                        args[2] = jstr(u, "terminal") ? jstr(u, "terminal") : "?";
                        finding(s, R_SHARED_UNATTRIBUTED, false, d, account, args, 3);
                } else if (id && !list_has(jget(id, "members"), person)) {
                        args[1] = who(s, person, report_display_name(r, u, "person"));
                        finding(s, R_SHARED_NON_MEMBER, false, d, person, args, 3);
                }
        }
        for (size_t i = 0; i < jlen(r->tables[T_SHARED_REFUSALS]); i++) {
                struct json_object *x = jidx(r->tables[T_SHARED_REFUSALS], i);
                const struct column *c = &report_tables[T_SHARED_REFUSALS].cols[4];
                const char *account = jstr(x, "account"), *person = jstr(x, "person");
                const char *d = person ? jstr(report_account(r, person), "department") : NULL;
                char when[32];
                const char *args[4];

                /* waiting for a busy ID is not misuse */
                if (strcmp(jstr(x, "reason"), "concurrent") == 0)
                        continue;
                if (!d)
                        d = shared_department(r, account);
                day_of(r, jstr(x, "time"), when);
                args[0] = account;
                args[1] = who(s, person, jstr(report_account(r, person), "display_name"));
                args[2] = when;
                args[3] = enum_label(c->values, r->lang, jstr(x, "reason"));
                finding(s, R_SHARED_REFUSED, false, d, person ? person : account, args, 4);
        }
}

static void card_applies(struct state *s, const char *department)
{
        applies(s, C_CARD_SHARING, department);
        applies(s, C_CARD_REVOKED, department);
        applies(s, C_CARD_RETIRED, department);
}

static void check_cards(struct state *s)
{
        const struct report *r = s->r;
        const struct json_object *active = r->tables[T_CARDS_ACTIVE];
        _cleanup_(json_object_putp) struct json_object *per_person = json_object_new_object();

        if (!per_person) {
                s->oom = true;
                return;
        }
        for (size_t i = 0; i < jlen(active); i++) {
                struct json_object *c = jidx(active, i), *n = jget(per_person, jstr(c, "person"));

                card_applies(s, report_department(r, c, "person"));
                if (n)
                        json_object_set_int64(n, json_object_get_int64(n) + 1);
                else
                        json_object_object_add(per_person, jstr(c, "person"), json_object_new_int64(1));
        }
        for (size_t i = 0; i < jlen(r->tables[T_CARDS_RETIRED]); i++)
                card_applies(s, report_department(r, jidx(r->tables[T_CARDS_RETIRED], i), "person"));
        for (size_t i = 0; i < jlen(r->tables[T_CARD_SHARING]); i++) {
                struct json_object *x = jidx(r->tables[T_CARD_SHARING], i);
                const struct column *c = &report_tables[T_CARD_SHARING].cols[5];
                const char *owner = jstr(x, "card_owner"), *account = jstr(x, "account");
                const char *d_owner = jstr(report_account(r, owner), "department");
                const char *d_account = jstr(report_account(r, account), "department");
                char when[32];
                const char *args[4];

                day_of(r, jstr(x, "time"), when);
                args[0] = who(s, owner, jstr(report_account(r, owner), "display_name"));
                args[1] = account;
                args[2] = when;
                args[3] = enum_label(c->values, r->lang, jstr(x, "kind"));
                /* the lender's and the borrower's departments both have to act */
                if (owner) {
                        card_applies(s, d_owner);
                        finding(s, R_CARD_SHARING, false, d_owner, owner, args, 4);
                }
                /* one finding when both are of one department, or of none */
                if (!owner || !(d_owner == d_account || (d_owner && d_account && strcmp(d_owner, d_account) == 0))) {
                        card_applies(s, d_account);
                        finding(s, R_CARD_SHARING, false, d_account, account, args, 4);
                }
        }
        for (size_t i = 0; i < jlen(r->tables[T_CARDS_REVOKED]); i++) {
                struct json_object *c = jidx(r->tables[T_CARDS_REVOKED], i);
                const char *d = report_department(r, c, "person"), *person = jstr(c, "person");
                char n[24];
                const char *args[3];

                card_applies(s, d);
                args[0] = jstr(c, "serial");
                args[1] = who(s, person, report_display_name(r, c, "person"));
                args[2] = n;
                if (jint(c, "accepted_after", 0) > 0) {
                        snprintf(n, sizeof(n), "%lld", (long long)jint(c, "accepted_after", 0));
                        finding(s, R_CARD_ACCEPTED, false, d, person, args, 3);
                }
                if (jint(c, "attempts_after", 0) > 0) {
                        snprintf(n, sizeof(n), "%lld", (long long)jint(c, "attempts_after", 0));
                        finding(s, R_CARD_TRIED, false, d, person, args, 3);
                }
        }
        for (size_t i = 0; i < jlen(active); i++) {
                struct json_object *c = jidx(active, i), *n = jget(per_person, jstr(c, "person"));
                char cards[24];
                const char *args[2];

                if (!n || json_object_get_int64(n) < 2)
                        continue;
                snprintf(cards, sizeof(cards), "%lld", (long long)json_object_get_int64(n));
                args[0] = who(s, jstr(c, "person"), report_display_name(r, c, "person"));
                args[1] = cards;
                finding(s, R_CARDS_SEVERAL, false, report_department(r, c, "person"), jstr(c, "person"), args, 2);
                json_object_set_int64(n, 0);
        }
}

static void check_integrity(struct state *s)
{
        const struct json_object *in = s->r->integrity;
        char first[24], records[24];
        const char *args[3];

        for (size_t i = 0; i < s->n; i++)
                raise_mark(&s->d[i], C_INTEGRITY, MARK_GOOD);
        if (!in || !jbool(in, "verified")) {
                finding(s, R_CHAIN_UNVERIFIED, true, NULL, NULL, NULL, 0);
                return;
        }
        if (jbool(in, "ok"))
                return;
        if (jget(in, "first_bad"))
                snprintf(first, sizeof(first), "%lld", (long long)jint(in, "first_bad", 0));
        else
                snprintf(first, sizeof(first), "?");
        snprintf(records, sizeof(records), "%lld", (long long)jint(in, "records", 0));
        args[0] = first;
        args[1] = jstr(in, "why") ? jstr(in, "why") : "?";
        args[2] = records;
        finding(s, R_CHAIN_BROKEN, true, NULL, NULL, args, 3);
}

/* Columns: the model's own order (meta.departments), then the departments of
 * accounts as they first appear, then any met on the way; "no department"
 * last. */
static struct json_object *departments_json(const struct state *s, size_t **ret_order)
{
        struct json_object *a = json_object_new_array();
        size_t *order = calloc(s->n ? s->n : 1, sizeof(*order)), k = 0;

        if (!a || !order) {
                json_object_put(a);
                free(order);
                return NULL;
        }
        for (size_t i = 0; i < s->n; i++)
                if (*s->d[i].name)
                        order[k++] = i;
        for (size_t i = 0; i < s->n; i++)
                if (!*s->d[i].name)
                        order[k++] = i;
        for (size_t i = 0; i < k; i++)
                json_object_array_add(a, json_object_new_string(s->d[order[i]].name));
        *ret_order = order;
        return a;
}

static void put_int(struct json_object *o, const char *key, int64_t v)
{
        json_object_object_add(o, key, json_object_new_int64(v));
}

static struct json_object *totals_json(const struct state *s)
{
        const struct report *r = s->r;
        struct json_object *t = json_object_new_object();
        int64_t break_glass = 0, minutes = 0, unattributed = 0, logins = 0, failures = 0;

        if (!t)
                return NULL;
        for (size_t i = 0; i < jlen(r->tables[T_MINUTES]); i++) {
                break_glass += jint(jidx(r->tables[T_MINUTES], i), "break_glass", 0);
                minutes += jint(jidx(r->tables[T_MINUTES], i), "minutes", 0);
        }
        for (size_t i = 0; i < jlen(r->tables[T_SHARED_USES]); i++) {
                const char *p = jstr(jidx(r->tables[T_SHARED_USES], i), "person");

                unattributed += !p || !*p;
        }
        for (size_t i = 0; i < jlen(r->tables[T_DAYS]); i++) {
                logins += jint(jidx(r->tables[T_DAYS], i), "logins", 0);
                failures += jint(jidx(r->tables[T_DAYS], i), "failures", 0);
        }
        put_int(t, "accounts", (int64_t)jlen(r->tables[T_ACCOUNTS]));
        put_int(t, "dormant", (int64_t)jlen(r->tables[T_DORMANT]));
        put_int(t, "missing_factors", (int64_t)jlen(r->tables[T_MISSING]));
        put_int(t, "not_admitted", (int64_t)jlen(r->tables[T_NOT_ADMITTED]));
        put_int(t, "locks", (int64_t)jlen(r->tables[T_LOCKS]));
        put_int(t, "grants", (int64_t)jlen(r->tables[T_GRANTS]));
        put_int(t, "break_glass", break_glass);
        put_int(t, "privileged_minutes", minutes);
        put_int(t, "shared_uses", (int64_t)jlen(r->tables[T_SHARED_USES]));
        put_int(t, "unattributed_uses", unattributed);
        put_int(t, "active_cards", (int64_t)jlen(r->tables[T_CARDS_ACTIVE]));
        put_int(t, "logins", logins);
        put_int(t, "failures", failures);
        put_int(t, "findings_fix", s->n_fix);
        put_int(t, "findings_advise", s->n_advise);
        return t;
}

static int build(struct state *s)
{
        struct report *r = s->r;
        _cleanup_(json_object_putp) struct json_object *sum = json_object_new_object();
        struct json_object *depts, *rows, *legend, *rl, *clauses;
        _cleanup_(freep) size_t *order = NULL;
        char n[24];

        if (!sum)
                return -ENOMEM;
        depts = departments_json(s, &order);
        if (!depts)
                return -ENOMEM;
        clauses = json_object_new_array();
        json_object_array_add(clauses, json_object_new_string("ACC-3"));
        json_object_object_add(sum, "clauses", clauses);
        put_int(sum, "rules_version", SUMMARY_RULES_VERSION);
        json_object_object_add(sum, "departments", depts);
        rows = json_object_new_array();
        json_object_object_add(sum, "checks", rows);
        for (int c = 0; c < C_MAX_; c++) {
                struct json_object *row = json_object_new_object(), *marks = json_object_new_array();

                json_object_object_add(row, "id", json_object_new_string(checks[c].id));
                json_object_object_add(row, "clause", json_object_new_string(checks[c].clause));
                json_object_object_add(row, "label", json_object_new_string(label(r->lang, checks[c].label)));
                for (size_t i = 0; i < jlen(depts); i++)
                        json_object_array_add(marks, json_object_new_string(mark_code(s->d[order[i]].marks[c])));
                json_object_object_add(row, "marks", marks);
                json_object_array_add(rows, row);
        }
        legend = json_object_new_array();
        json_object_object_add(sum, "legend", legend);
        for (int m = MARK_GOOD; m < MARK_MAX_ + MARK_GOOD; m++) {
                /* ○ △ × then -, as the committee prints it */
                enum mark mk = (enum mark)(m % MARK_MAX_);
                struct json_object *e = json_object_new_object();

                json_object_object_add(e, "mark", json_object_new_string(mark_code(mk)));
                json_object_object_add(e, "symbol", json_object_new_string(mark_symbol(mk)));
                json_object_object_add(e, "label", json_object_new_string(label(r->lang, mark_label(mk))));
                json_object_array_add(legend, e);
        }
        json_object_object_add(sum, "findings", json_object_get(s->findings));
        rl = json_object_new_array();
        json_object_object_add(sum, "rules", rl);
        snprintf(n, sizeof(n), "%lld", (long long)r->meta.dormant_days);
        for (int i = 0; i < R_MAX_; i++) {
                struct json_object *e = json_object_new_object();
                const char *args[1] = { n };

                sbuf_reset(&s->msg);
                label_fill(&s->msg, rules[i].text[r->lang], args, 1);
                json_object_object_add(e, "id", json_object_new_string(rules[i].id));
                json_object_object_add(e, "check", json_object_new_string(checks[rules[i].check].id));
                json_object_object_add(e, "clause", json_object_new_string(checks[rules[i].check].clause));
                json_object_object_add(e, "mark", json_object_new_string(mark_code(rules[i].mark)));
                json_object_object_add(e, "text", json_object_new_string(sbuf_str(&s->msg)));
                json_object_array_add(rl, e);
        }
        json_object_object_add(sum, "totals", totals_json(s));
        if (s->oom || sbuf_failed(&s->msg) || sbuf_failed(&s->who))
                return -ENOMEM;
        r->summary = sum;
        sum = NULL;
        return 0;
}

int summary_compute(struct report *r)
{
        struct state s = { .r = r };
        const struct json_object *order = r->meta.departments;
        int k;

        s.index = json_object_new_object();
        s.findings = json_object_new_array();
        if (!s.index || !s.findings) {
                k = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < jlen(order); i++)
                dept(&s, jstr_at(order, i));
        for (size_t i = 0; i < jlen(r->tables[T_ACCOUNTS]); i++)
                dept(&s, jstr(jidx(r->tables[T_ACCOUNTS], i), "department"));
        check_accounts(&s);
        check_locks(&s);
        check_privileged(&s);
        check_shared(&s);
        check_cards(&s);
        check_integrity(&s);        /* last: it marks every department met */
        k = build(&s);
out:
        json_object_put(s.index);
        json_object_put(s.findings);
        sbuf_free(&s.msg);
        sbuf_free(&s.who);
        free(s.d);
        return k;
}
