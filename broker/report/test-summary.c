/* The committee summary, rule by rule: each test builds the smallest model
 * that should (or should just not) give a mark, and reads the cell and the
 * finding as the committee would. Period: 2025-04-01 to 2025-10-01 (UTC),
 * dormant after 90 days, so 2025-07-03T00:00:00Z is the last dormant login. */
#include "test-report.h"

#define INTACT "\"integrity\": {\"verified\": true, \"ok\": true, \"records\": 10}"

static struct json_object *summ(const char *sections)
{
        struct json_object *m = test_model(sections), *s = test_summary(m, REPORT_EN);

        json_object_put(m);
        return s;
}

static void put(struct json_object **s) { json_object_put(*s); }
#define SUMMARY _cleanup_(put) struct json_object *

static void account_unused_for_the_dormant_days_is_advised(void **state)
{
        (void)state;
        SUMMARY s = summ("\"accounts\": {\"items\": ["
                         "{\"name\": \"old\", \"type\": \"personal\", \"department\": \"A\", \"last_success\": \"2025-07-03T00:00:00Z\"},"
                         "{\"name\": \"recent\", \"type\": \"personal\", \"department\": \"B\", \"last_success\": \"2025-07-03T00:00:01Z\"}]}, "
                         INTACT);

        assert_mark(s, "dormant", "A", "advise");
        assert_mark(s, "dormant", "B", "good");
        assert_int_equal(test_findings(s, "ACC-2.dormant"), 1);
        assert_contains(test_message(s, "ACC-2.dormant"), "old: no successful login for 90 days (last on 2025-07-03)");
}

static void account_never_used_is_advised_unless_new(void **state)
{
        (void)state;
        SUMMARY s = summ("\"accounts\": {\"items\": ["
                         "{\"name\": \"never\", \"type\": \"service\", \"department\": \"A\"},"
                         "{\"name\": \"new\", \"type\": \"personal\", \"department\": \"B\", \"created\": \"2025-09-01T00:00:00Z\"},"
                         "{\"name\": \"stale\", \"type\": \"personal\", \"department\": \"C\", \"created\": \"2025-01-01T00:00:00Z\"}]}, "
                         INTACT);

        assert_mark(s, "dormant", "A", "advise");
        assert_mark(s, "dormant", "B", "good");
        assert_mark(s, "dormant", "C", "advise");
        assert_int_equal(test_findings(s, "ACC-2.never"), 2);
}

static void department_with_nothing_to_check_is_not_applicable(void **state)
{
        (void)state;
        /* "Empty": a department the directory lists but where kagi has no account */
        struct json_object *m = test_model_with("\"departments\": [\"Empty\", \"A\"]",
                                                "\"accounts\": {\"items\": [{\"name\": \"a\", \"type\": \"personal\","
                                                " \"department\": \"A\", \"last_success\": \"2025-09-30T00:00:00Z\"}]}, " INTACT);
        SUMMARY s = NULL;

        s = test_summary(m, REPORT_EN);
        json_object_put(m);
        assert_string_equal(jstr_at(jget(s, "departments"), 0), "Empty");
        assert_mark(s, "dormant", "Empty", "none");
        assert_mark(s, "privileged_holders", "A", "none");
        assert_mark(s, "shared_ids", "A", "none");
        assert_mark(s, "card_sharing", "A", "none");
        assert_mark(s, "dormant", "A", "good");
        assert_mark(s, "lockout", "A", "good");
        /* the audit log covers every department */
        assert_mark(s, "audit_integrity", "Empty", "good");
        assert_int_equal(jlen(jget(s, "findings")), 0);
}

static void accounts_without_a_department_get_their_own_column_last(void **state)
{
        (void)state;
        SUMMARY s = summ("\"accounts\": {\"items\": ["
                         "{\"name\": \"svc\", \"type\": \"service\"},"
                         "{\"name\": \"a\", \"type\": \"personal\", \"department\": \"A\", \"last_success\": \"2025-09-30T00:00:00Z\"}]}, "
                         INTACT);

        assert_int_equal(jlen(jget(s, "departments")), 2);
        assert_string_equal(jstr_at(jget(s, "departments"), 0), "A");
        assert_string_equal(jstr_at(jget(s, "departments"), 1), "");
        assert_mark(s, "dormant", "", "advise");
}

static void missing_factors_are_advised(void **state)
{
        (void)state;
        SUMMARY s = summ("\"accounts\": {\"items\": [{\"name\": \"a\", \"type\": \"personal\", \"department\": \"A\","
                         " \"last_success\": \"2025-09-30T00:00:00Z\"}]},"
                         "\"factors\": {\"missing\": [{\"account\": \"a\", \"zone\": \"mynumber\","
                         " \"required\": [\"card+pin\", \"password+totp\"], \"enrolled\": []}]}, " INTACT);

        assert_mark(s, "factors", "A", "advise");
        assert_contains(test_message(s, "ACC-1.factors"), "IC card+PIN, password+TOTP");
}

static void admitted_account_that_should_not_be_must_be_fixed(void **state)
{
        (void)state;
        SUMMARY s = summ("\"accounts\": {\"items\": [{\"name\": \"gone\", \"type\": \"personal\", \"department\": \"A\","
                         " \"last_success\": \"2025-09-30T00:00:00Z\"}]},"
                         "\"factors\": {\"not_admitted\": [{\"account\": \"gone\", \"zone\": \"mynumber\", \"reason\": \"disabled\"}]}, "
                         INTACT);

        assert_mark(s, "access", "A", "fix");
        assert_mark(s, "factors", "A", "good");
        assert_contains(test_message(s, "ACC-3.admitted"), "disabled in the directory");
}

static const char *const lock_accounts =
        "\"accounts\": {\"items\": ["
        "{\"name\": \"a\", \"type\": \"personal\", \"department\": \"A\", \"last_success\": \"2025-09-30T00:00:00Z\"},"
        "{\"name\": \"b\", \"type\": \"personal\", \"department\": \"B\", \"last_success\": \"2025-09-30T00:00:00Z\"},"
        "{\"name\": \"c\", \"type\": \"personal\", \"department\": \"C\", \"last_success\": \"2025-09-30T00:00:00Z\"}]}, ";

static struct json_object *locks(const char *items)
{
        char *sections = NULL;
        struct json_object *s;

        assert_true(asprintf(&sections, "%s\"locks\": {\"items\": [%s]}, " INTACT, lock_accounts, items) > 0);
        s = summ(sections);
        free(sections);
        return s;
}

static void unlock_without_administrator_or_reason_must_be_fixed(void **state)
{
        (void)state;
        SUMMARY s = locks(
                "{\"account\": \"a\", \"locked_at\": \"2025-05-01T00:00:00Z\", \"unlocked_at\": \"2025-05-01T01:00:00Z\","
                " \"unlock\": \"admin\", \"unlock_reason\": \"called\"},"
                "{\"account\": \"b\", \"locked_at\": \"2025-05-01T00:00:00Z\", \"unlocked_at\": \"2025-05-01T01:00:00Z\","
                " \"unlock\": \"admin\", \"unlocked_by\": \"boss\", \"unlock_reason\": \"\"},"
                "{\"account\": \"c\", \"locked_at\": \"2025-05-01T00:00:00Z\", \"unlocked_at\": \"2025-05-01T01:00:00Z\","
                " \"unlock\": \"timer\"}");

        assert_mark(s, "lockout", "A", "fix");
        assert_mark(s, "lockout", "B", "fix");
        assert_mark(s, "lockout", "C", "good");
        assert_int_equal(test_findings(s, "LOCK-1.unrecorded-unlock"), 2);
}

static void account_still_locked_at_the_end_is_advised(void **state)
{
        (void)state;
        SUMMARY s = locks("{\"account\": \"a\", \"locked_at\": \"2025-09-01T00:00:00Z\"},"
                          "{\"account\": \"b\", \"locked_at\": \"2025-05-01T00:00:00Z\", \"unlocked_at\": \"2025-05-01T00:30:00Z\","
                          " \"unlock\": \"admin\", \"unlocked_by\": \"boss\", \"unlock_reason\": \"called the owner\"}");
        struct json_object *m = test_model("\"locks\": {\"items\": [{\"account\": \"a\", \"locked_at\": \"2025-09-30T23:00:00Z\"}]}");
        char *text = NULL;
        size_t len = 0;

        assert_mark(s, "lockout", "A", "advise");
        assert_mark(s, "lockout", "B", "good");
        /* how long it stayed locked: until the end of the period */
        assert_int_equal(report_render_buffer(m, REPORT_JSON, REPORT_EN, &text, &len, NULL, 0), 0);
        assert_contains(text, "\"locked_minutes\":60");
        free(text);
        json_object_put(m);
}

static void account_locked_three_times_is_advised_once(void **state)
{
        (void)state;
#define LOCK(acc, day) \
        "{\"account\": \"" acc "\", \"locked_at\": \"2025-05-" day "T00:00:00Z\", \"unlocked_at\": \"2025-05-" day \
        "T00:10:00Z\", \"unlock\": \"timer\"}"
        SUMMARY s = locks(LOCK("a", "01") "," LOCK("a", "02") "," LOCK("a", "03") "," LOCK("b", "01") "," LOCK("b", "02"));
#undef LOCK

        assert_mark(s, "lockout", "A", "advise");
        assert_mark(s, "lockout", "B", "good");
        assert_int_equal(test_findings(s, "LOCK-1.repeated"), 1);
        assert_contains(test_message(s, "LOCK-1.repeated"), "locked 3 times");
}

static const char *const people =
        "\"accounts\": {\"items\": ["
        "{\"name\": \"ito\", \"display_name\": \"伊藤 健\", \"type\": \"personal\", \"department\": \"IT\", \"last_success\": \"2025-09-30T00:00:00Z\"},"
        "{\"name\": \"sato\", \"type\": \"personal\", \"department\": \"Desk\", \"last_success\": \"2025-09-30T00:00:00Z\"},"
        "{\"name\": \"kato\", \"type\": \"personal\", \"department\": \"Tax\", \"last_success\": \"2025-09-30T00:00:00Z\"}]}, "
        "\"privileged\": {\"roles\": ["
        "{\"name\": \"root\", \"holders\": [\"ito\", \"sato\"], \"approval\": true, \"break_glass\": true},"
        "{\"name\": \"db\", \"holders\": [\"kato\"], \"approval\": false}], ";

static struct json_object *grants(const char *items)
{
        char *sections = NULL;
        struct json_object *s;

        assert_true(asprintf(&sections, "%s\"grants\": [%s]}, " INTACT, people, items) > 0);
        s = summ(sections);
        free(sections);
        return s;
}

#define GRANT(id, role, person, extra)                                                                      \
        "{\"id\": \"" id "\", \"role\": \"" role "\", \"person\": \"" person "\", \"requested_at\": "       \
        "\"2025-08-01T00:00:00Z\", \"requested_minutes\": 30, \"actual_minutes\": 20, \"end\": \"expired\"" \
        extra "}"

static void holder_who_never_used_the_role_is_advised(void **state)
{
        (void)state;
        SUMMARY s = grants(GRANT("1", "root", "ito", ", \"approver\": \"sato\"") "," GRANT("2", "db", "kato", ""));

        assert_mark(s, "privileged_holders", "IT", "good");
        assert_mark(s, "privileged_holders", "Desk", "advise");
        assert_mark(s, "privileged_holders", "Tax", "good");
        assert_int_equal(test_findings(s, "PRIV-1.unused"), 1);
        assert_contains(test_message(s, "PRIV-1.unused"), "sato: holds role root");
}

static void grant_without_the_approval_its_role_needs_must_be_fixed(void **state)
{
        (void)state;
        SUMMARY s = grants(GRANT("1", "root", "ito", "") ","
                           GRANT("2", "db", "kato", "") ","
                           GRANT("3", "root", "sato", ", \"end\": \"pending\"") ","
                           GRANT("4", "unknown-role", "sato", ""));

        assert_mark(s, "privileged_approval", "IT", "fix");
        assert_mark(s, "privileged_approval", "Tax", "good");
        /* a pending grant opened nothing, but a role nobody described is held to the strict rule */
        assert_mark(s, "privileged_approval", "Desk", "fix");
        assert_int_equal(test_findings(s, "PRIV-2.unapproved"), 2);
}

static void grant_approved_by_its_requester_must_be_fixed(void **state)
{
        (void)state;
        SUMMARY s = grants(GRANT("1", "root", "ito", ", \"approver\": \"ito\""));

        assert_mark(s, "privileged_approval", "IT", "fix");
        assert_int_equal(test_findings(s, "PRIV-2.self-approved"), 1);
        assert_int_equal(test_findings(s, "PRIV-2.unapproved"), 0);
}

static void break_glass_is_advised_for_review(void **state)
{
        (void)state;
        SUMMARY s = grants(GRANT("7", "root", "ito", ", \"break_glass\": true, \"reason\": \"outage\""));

        assert_mark(s, "privileged_approval", "IT", "advise");
        assert_int_equal(test_findings(s, "PRIV-2.unapproved"), 0);
        assert_contains(test_message(s, "PRIV-2.break-glass"), "Grant 7 (ito (伊藤 健), role root): break-glass, reason \"outage\"");
}

static void use_past_the_granted_time_must_be_fixed(void **state)
{
        (void)state;
        /* 30 asked + 10 extended; one minute of grace for the end of the session */
        SUMMARY s = grants(GRANT("1", "db", "kato", ", \"extended_minutes\": 10, \"actual_minutes\": 42") ","
                           GRANT("2", "root", "ito", ", \"approver\": \"sato\", \"actual_minutes\": 31"));

        assert_mark(s, "privileged_time", "Tax", "fix");
        assert_mark(s, "privileged_time", "IT", "good");
        assert_contains(test_message(s, "PRIV-4.overrun"), "used 42 minutes of the 40 granted");
}

static void extended_grant_is_advised(void **state)
{
        (void)state;
        SUMMARY s = grants(GRANT("1", "db", "kato", ", \"extended_minutes\": 15"));

        assert_mark(s, "privileged_time", "Tax", "advise");
        assert_int_equal(test_findings(s, "PRIV-4.extended"), 1);
}

static const char *const shared =
        "\"accounts\": {\"items\": ["
        "{\"name\": \"sato\", \"type\": \"personal\", \"department\": \"Desk\", \"last_success\": \"2025-09-30T00:00:00Z\"},"
        "{\"name\": \"kato\", \"type\": \"personal\", \"department\": \"Tax\", \"last_success\": \"2025-09-30T00:00:00Z\"}]}, "
        "\"shared\": {\"ids\": [{\"account\": \"mado01\", \"department\": \"Desk\", \"members\": [\"sato\"]}], ";

static struct json_object *shared_with(const char *rest)
{
        char *sections = NULL;
        struct json_object *s;

        assert_true(asprintf(&sections, "%s%s}, " INTACT, shared, rest) > 0);
        s = summ(sections);
        free(sections);
        return s;
}

static void shared_id_use_without_a_person_must_be_fixed(void **state)
{
        (void)state;
        SUMMARY s = shared_with("\"uses\": [{\"account\": \"mado01\", \"terminal\": \"pc2\", \"start\": \"2025-09-02T00:00:00Z\"},"
                                "{\"account\": \"mado01\", \"person\": \"sato\", \"start\": \"2025-09-03T00:00:00Z\"}]");

        assert_mark(s, "shared_ids", "Desk", "fix");
        assert_mark(s, "shared_ids", "Tax", "none");
        assert_int_equal(test_findings(s, "SID-1.unattributed"), 1);
        assert_contains(test_message(s, "SID-1.unattributed"), "from pc2 by no identified person");
}

static void shared_id_used_by_a_non_member_must_be_fixed(void **state)
{
        (void)state;
        SUMMARY s = shared_with("\"uses\": [{\"account\": \"mado01\", \"person\": \"kato\", \"start\": \"2025-09-03T00:00:00Z\"}]");

        /* the shared ID's department answers for its uses */
        assert_mark(s, "shared_ids", "Desk", "fix");
        assert_int_equal(test_findings(s, "SID-1.non-member"), 1);
}

static void refused_misuse_is_advised_for_the_person_who_tried(void **state)
{
        (void)state;
        SUMMARY s = shared_with("\"refusals\": ["
                                "{\"time\": \"2025-09-04T00:00:00Z\", \"account\": \"mado01\", \"person\": \"kato\", \"reason\": \"not_member\"},"
                                "{\"time\": \"2025-09-05T00:00:00Z\", \"account\": \"mado01\", \"person\": \"sato\", \"reason\": \"concurrent\"}]");

        assert_mark(s, "shared_ids", "Tax", "advise");
        /* waiting for a busy shared ID is no misuse */
        assert_mark(s, "shared_ids", "Desk", "good");
        assert_int_equal(test_findings(s, "SID-1.refused"), 1);
}

static const char *const cards =
        "\"accounts\": {\"items\": ["
        "{\"name\": \"tanaka\", \"type\": \"personal\", \"department\": \"Ins\", \"last_success\": \"2025-09-30T00:00:00Z\"},"
        "{\"name\": \"sato\", \"type\": \"personal\", \"department\": \"Desk\", \"last_success\": \"2025-09-30T00:00:00Z\"},"
        "{\"name\": \"kato\", \"type\": \"personal\", \"department\": \"Tax\", \"last_success\": \"2025-09-30T00:00:00Z\"}]}, ";

static struct json_object *cards_with(const char *rest)
{
        char *sections = NULL;
        struct json_object *s;

        assert_true(asprintf(&sections, "%s\"cards\": {%s}, " INTACT, cards, rest) > 0);
        s = summ(sections);
        free(sections);
        return s;
}

static void card_presented_for_another_person_marks_both_departments(void **state)
{
        (void)state;
        SUMMARY s = cards_with("\"active\": [{\"person\": \"tanaka\", \"serial\": \"01\"}, {\"person\": \"kato\", \"serial\": \"03\"}],"
                               "\"sharing_refusals\": [{\"time\": \"2025-07-07T00:00:00Z\", \"card_owner\": \"tanaka\","
                               " \"account\": \"sato\", \"kind\": \"other_person\"}]");

        assert_mark(s, "card_sharing", "Ins", "advise");
        assert_mark(s, "card_sharing", "Desk", "advise");
        assert_mark(s, "card_sharing", "Tax", "good");
        assert_int_equal(test_findings(s, "CARD-1.sharing"), 2);
}

/* Without departments (NSS has none) lender and borrower are one column: one finding. */
static void card_presented_for_another_person_of_no_department_is_one_finding(void **state)
{
        (void)state;
        SUMMARY s = summ("\"accounts\": {\"items\": ["
                         "{\"name\": \"alice\", \"type\": \"personal\", \"last_success\": \"2025-09-30T00:00:00Z\"},"
                         "{\"name\": \"dave\", \"type\": \"privileged\", \"last_success\": \"2025-09-30T00:00:00Z\"}]}, "
                         "\"cards\": {\"active\": [{\"person\": \"alice\", \"serial\": \"01\"}],"
                         "\"sharing_refusals\": [{\"time\": \"2025-07-07T00:00:00Z\", \"card_owner\": \"alice\","
                         " \"account\": \"dave\", \"kind\": \"other_person\"}]}, " INTACT);

        assert_mark(s, "card_sharing", "", "advise");
        assert_int_equal(test_findings(s, "CARD-1.sharing"), 1);
}

static void revoked_card_accepted_must_be_fixed_and_tried_is_advised(void **state)
{
        (void)state;
        SUMMARY s = cards_with("\"revoked\": ["
                               "{\"person\": \"tanaka\", \"serial\": \"0F\", \"revoked_at\": \"2025-05-10T00:00:00Z\", \"accepted_after\": 1},"
                               "{\"person\": \"sato\", \"serial\": \"0E\", \"revoked_at\": \"2025-05-10T00:00:00Z\", \"attempts_after\": 2},"
                               "{\"person\": \"kato\", \"serial\": \"0D\", \"revoked_at\": \"2025-05-10T00:00:00Z\"}]");

        assert_mark(s, "card_revocation", "Ins", "fix");
        assert_mark(s, "card_revocation", "Desk", "advise");
        assert_mark(s, "card_revocation", "Tax", "good");
        assert_contains(test_message(s, "CARD-2.tried"), "Card 0E of sato: tried 2 times");
}

static void person_with_two_active_cards_is_advised(void **state)
{
        (void)state;
        SUMMARY s = cards_with("\"active\": [{\"person\": \"sato\", \"serial\": \"01\"}, {\"person\": \"sato\", \"serial\": \"02\"},"
                               "{\"person\": \"kato\", \"serial\": \"03\"}],"
                               "\"retired\": [{\"person\": \"kato\", \"serial\": \"00\", \"replaced_by\": \"03\"}]");

        assert_mark(s, "card_retirement", "Desk", "advise");
        assert_mark(s, "card_retirement", "Tax", "good");
        assert_mark(s, "card_retirement", "Ins", "none");
        assert_int_equal(test_findings(s, "CARD-3.several"), 1);
}

static void broken_audit_chain_must_be_fixed_in_every_department(void **state)
{
        (void)state;
        SUMMARY s = summ("\"accounts\": {\"items\": ["
                         "{\"name\": \"a\", \"type\": \"personal\", \"department\": \"A\", \"last_success\": \"2025-09-30T00:00:00Z\"},"
                         "{\"name\": \"svc\", \"type\": \"service\", \"last_success\": \"2025-09-30T00:00:00Z\"}]},"
                         "\"integrity\": {\"verified\": true, \"ok\": false, \"records\": 1000, \"first_bad\": 812,"
                         " \"why\": \"HMAC does not match\"}");

        assert_mark(s, "audit_integrity", "A", "fix");
        assert_mark(s, "audit_integrity", "", "fix");
        assert_int_equal(test_findings(s, "LOG-3.broken"), 1);
        assert_contains(test_message(s, "LOG-3.broken"), "record 812: HMAC does not match (1000 records checked)");
        assert_true(json_object_is_type(json_object_object_get(jidx(jget(s, "findings"), 0), "department"),
                                        json_type_null));
}

static void unverified_audit_chain_must_be_fixed(void **state)
{
        (void)state;
        SUMMARY s = summ("\"accounts\": {\"items\": [{\"name\": \"a\", \"type\": \"personal\", \"department\": \"A\","
                         " \"last_success\": \"2025-09-30T00:00:00Z\"}]}");
        SUMMARY intact = summ("\"accounts\": {\"items\": [{\"name\": \"a\", \"type\": \"personal\", \"department\": \"A\","
                              " \"last_success\": \"2025-09-30T00:00:00Z\"}]}, " INTACT);

        assert_mark(s, "audit_integrity", "A", "fix");
        assert_int_equal(test_findings(s, "LOG-3.unverified"), 1);
        assert_mark(intact, "audit_integrity", "A", "good");
}

static void the_worst_mark_of_a_cell_stays(void **state)
{
        (void)state;
        SUMMARY s = shared_with("\"uses\": [{\"account\": \"mado01\", \"start\": \"2025-09-02T00:00:00Z\"}],"
                                "\"refusals\": [{\"time\": \"2025-09-04T00:00:00Z\", \"account\": \"mado01\", \"reason\": \"shared_password\"}]");

        assert_mark(s, "shared_ids", "Desk", "fix");
        assert_int_equal(test_findings(s, "SID-1.unattributed"), 1);
        assert_int_equal(test_findings(s, "SID-1.refused"), 1);
        assert_int_equal(jint(jget(s, "totals"), "findings_fix", 0), 1);
        assert_int_equal(jint(jget(s, "totals"), "findings_advise", 0), 1);
}

static void findings_and_rules_read_in_japanese(void **state)
{
        (void)state;
        struct json_object *m = test_model("\"accounts\": {\"items\": [{\"name\": \"suzuki\", \"display_name\": \"鈴木 花子\","
                                           " \"type\": \"personal\", \"department\": \"保険年金課\", \"last_success\": \"2025-05-01T00:00:00Z\"}]}");
        SUMMARY s = test_summary(m, REPORT_JA);
        struct json_object *rules = jget(s, "rules");

        json_object_put(m);
        assert_contains(test_message(s, "ACC-2.dormant"), "suzuki（鈴木 花子）：最終ログイン（2025-05-01）から153日間使用されていない。");
        assert_string_equal(jstr(jidx(jget(s, "checks"), 0), "label"), "長期未使用IDの整理");
        assert_string_equal(jstr(jidx(jget(s, "legend"), 1), "label"), "改善が望ましい");
        /* every rule states its criterion; the dormancy rule names the days */
        assert_int_equal(jlen(rules), 22);
        for (size_t i = 0; i < jlen(rules); i++)
                assert_true(strlen(jstr(jidx(rules, i), "text")) > 10);
        assert_contains(jstr(jidx(rules, 0), "text"), "90日以上");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(account_unused_for_the_dormant_days_is_advised),
                cmocka_unit_test(account_never_used_is_advised_unless_new),
                cmocka_unit_test(department_with_nothing_to_check_is_not_applicable),
                cmocka_unit_test(accounts_without_a_department_get_their_own_column_last),
                cmocka_unit_test(missing_factors_are_advised),
                cmocka_unit_test(admitted_account_that_should_not_be_must_be_fixed),
                cmocka_unit_test(unlock_without_administrator_or_reason_must_be_fixed),
                cmocka_unit_test(account_still_locked_at_the_end_is_advised),
                cmocka_unit_test(account_locked_three_times_is_advised_once),
                cmocka_unit_test(holder_who_never_used_the_role_is_advised),
                cmocka_unit_test(grant_without_the_approval_its_role_needs_must_be_fixed),
                cmocka_unit_test(grant_approved_by_its_requester_must_be_fixed),
                cmocka_unit_test(break_glass_is_advised_for_review),
                cmocka_unit_test(use_past_the_granted_time_must_be_fixed),
                cmocka_unit_test(extended_grant_is_advised),
                cmocka_unit_test(shared_id_use_without_a_person_must_be_fixed),
                cmocka_unit_test(shared_id_used_by_a_non_member_must_be_fixed),
                cmocka_unit_test(refused_misuse_is_advised_for_the_person_who_tried),
                cmocka_unit_test(card_presented_for_another_person_marks_both_departments),
                cmocka_unit_test(card_presented_for_another_person_of_no_department_is_one_finding),
                cmocka_unit_test(revoked_card_accepted_must_be_fixed_and_tried_is_advised),
                cmocka_unit_test(person_with_two_active_cards_is_advised),
                cmocka_unit_test(broken_audit_chain_must_be_fixed_in_every_department),
                cmocka_unit_test(unverified_audit_chain_must_be_fixed),
                cmocka_unit_test(the_worst_mark_of_a_cell_stays),
                cmocka_unit_test(findings_and_rules_read_in_japanese),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
