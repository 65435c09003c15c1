/* What users read (policy/messages.c): English and Japanese, the contact and
 * the count filled in, the configured lock message, and never a byte past
 * the caller's buffer. */
#include "unit.h"

#include "common.h"
#include "policy.h"

static struct kagi_config cfg(enum kagi_lang lang, char *contact, char *lock_message)
{
        return (struct kagi_config){ .language = lang, .contact = contact, .lock_message = lock_message };
}

static void english_by_default(void **state)
{
        char buf[512];

        (void)state;
        message_format(NULL, MSG_AUTH_FAILED, 0, buf, sizeof(buf));
        assert_string_equal(buf, "Authentication failed.");
        message_format(NULL, MSG_LOCKED, 0, buf, sizeof(buf));
        assert_string_equal(buf, "This account is locked after repeated failed logins. "
                                 "Contact your system administrator to unlock it.");
}

static void japanese_when_configured(void **state)
{
        struct kagi_config c = cfg(KAGI_LANG_JA, NULL, NULL);
        char buf[512];

        (void)state;
        message_format(&c, MSG_AUTH_FAILED, 0, buf, sizeof(buf));
        assert_string_equal(buf, "認証に失敗しました。");
        message_format(&c, MSG_LOCKED, 0, buf, sizeof(buf));
        assert_string_equal(buf, "認証の失敗が続いたため、このアカウントはロックされています。"
                                 "解除についてはシステム管理者に連絡してください。");
        message_format(&c, MSG_PROMPT_CODE, 0, buf, sizeof(buf));
        assert_string_equal(buf, "確認コード: ");
}

/* Lines the clients' users read when nothing was counted, and the end of a
 * refusal carried in an ssh prompt. */
static void abandoned_prompts_say_nothing_was_counted(void **state)
{
        struct kagi_config en = cfg(KAGI_LANG_EN, NULL, NULL), ja = cfg(KAGI_LANG_JA, NULL, NULL);
        char buf[512];

        (void)state;
        message_format(&en, MSG_ABANDONED, 0, buf, sizeof(buf));
        assert_string_equal(buf, "Login cancelled: nothing was entered. This does not count as a failed attempt.");
        message_format(&ja, MSG_ABANDONED, 0, buf, sizeof(buf));
        assert_string_equal(buf, "入力がなかったため、ログインを中止しました。失敗回数には数えません。");
        message_format(&en, MSG_CODE_IS_PASSWORD, 0, buf, sizeof(buf));
        assert_non_null(strstr(buf, "That was your password."));
        assert_non_null(strstr(buf, "verification code"));
        message_format(&ja, MSG_CODE_IS_PASSWORD, 0, buf, sizeof(buf));
        assert_non_null(strstr(buf, "確認コード"));
        message_format(&ja, MSG_PRESS_ENTER, 0, buf, sizeof(buf));
        assert_string_equal(buf, "［Enterキーを押してください］");
}

static void every_message_exists_in_both_languages(void **state)
{
        struct kagi_config en = cfg(KAGI_LANG_EN, NULL, NULL), ja = cfg(KAGI_LANG_JA, NULL, NULL);

        (void)state;
        for (int id = 0; id < MSG_ID_MAX_; id++) {
                char e[512], j[512];

                message_format(&en, id, 1, e, sizeof(e));
                message_format(&ja, id, 1, j, sizeof(j));
                assert_true(strlen(e) > 0);
                assert_true(strlen(j) > 0);
                assert_string_not_equal(e, j);
                /* every placeholder was filled */
                assert_null(strchr(e, '{'));
                assert_null(strchr(j, '{'));
        }
}

static void contact_is_filled_in(void **state)
{
        struct kagi_config en = cfg(KAGI_LANG_EN, "the IT desk (ext. 1234)", NULL);
        struct kagi_config ja = cfg(KAGI_LANG_JA, "情報政策課（内線1234）", NULL);
        char buf[512];

        (void)state;
        message_format(&en, MSG_NOW_LOCKED, 0, buf, sizeof(buf));
        assert_string_equal(buf, "Authentication failed. The account is now locked; contact the IT desk (ext. 1234).");
        message_format(&ja, MSG_NOW_LOCKED, 0, buf, sizeof(buf));
        assert_string_equal(buf, "認証に失敗しました。このアカウントはロックされました。"
                                 "情報政策課（内線1234）に連絡してください。");
}

static void count_is_filled_in(void **state)
{
        struct kagi_config ja = cfg(KAGI_LANG_JA, NULL, NULL);
        char buf[512];

        (void)state;
        message_format(NULL, MSG_PIN_WRONG, 2, buf, sizeof(buf));
        assert_string_equal(buf, "Wrong PIN. 2 tries left before the card blocks.");
        message_format(NULL, MSG_PIN_WRONG, 4294967295u, buf, sizeof(buf));
        assert_string_equal(buf, "Wrong PIN. 4294967295 tries left before the card blocks.");
        message_format(&ja, MSG_PIN_WRONG, 3, buf, sizeof(buf));
        assert_string_equal(buf, "暗証番号が違います。カードがロックされるまであと3回です。");
}

static void lock_message_overrides_the_locked_text(void **state)
{
        struct kagi_config c = cfg(KAGI_LANG_JA, "内線1234", "ロック中です。{contact}まで。{n}");
        char buf[512];

        (void)state;
        message_format(&c, MSG_LOCKED, 7, buf, sizeof(buf));
        assert_string_equal(buf, "ロック中です。内線1234まで。7");
        /* only that text: the others keep the catalog's */
        message_format(&c, MSG_NOW_LOCKED, 0, buf, sizeof(buf));
        assert_string_equal(buf, "認証に失敗しました。このアカウントはロックされました。内線1234に連絡してください。");
}

static void unknown_placeholders_are_left_as_they_are(void **state)
{
        struct kagi_config c = cfg(KAGI_LANG_EN, "{contact}", "Call {who} or {contact} {n");
        char buf[512];

        (void)state;
        message_format(&c, MSG_LOCKED, 0, buf, sizeof(buf));
        /* a contact holding a placeholder is not expanded again */
        assert_string_equal(buf, "Call {who} or {contact} {n");
}

static void unknown_message_id_gives_the_internal_error_text(void **state)
{
        char buf[512], internal[512];

        (void)state;
        message_format(NULL, MSG_INTERNAL, 0, internal, sizeof(internal));
        message_format(NULL, MSG_ID_MAX_, 0, buf, sizeof(buf));
        assert_string_equal(buf, internal);
        message_format(NULL, (enum msg_id)-1, 0, buf, sizeof(buf));
        assert_string_equal(buf, internal);
}

/* Every size from 0 up: never a byte past the buffer, always terminated, and
 * what fits is the start of the whole text. */
static void truncation_stays_inside_the_buffer(void **state)
{
        struct kagi_config ja = cfg(KAGI_LANG_JA, "情報政策課", NULL);
        const struct kagi_config *configs[] = { NULL, &ja };

        (void)state;
        for (size_t c = 0; c < ARRAY_SIZE(configs); c++) {
                char full[512];
                size_t len;

                message_format(configs[c], MSG_LOCKED, 0, full, sizeof(full));
                len = strlen(full);
                for (size_t size = 0; size <= len + 2; size++) {
                        char buf[520];

                        memset(buf, '#', sizeof(buf));
                        message_format(configs[c], MSG_LOCKED, 0, buf, size);
                        for (size_t i = size; i < sizeof(buf); i++)
                                assert_int_equal(buf[i], '#');
                        if (size == 0)
                                continue;
                        assert_non_null(memchr(buf, '\0', size));
                        assert_true(strlen(buf) <= (size - 1 < len ? size - 1 : len));
                        /* at most one character short, and never half a character */
                        assert_true(strlen(buf) + 4 > (size - 1 < len ? size - 1 : len));
                        assert_memory_equal(buf, full, strlen(buf));
                        assert_true(((unsigned char)full[strlen(buf)] & 0xC0) != 0x80);
                }
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(english_by_default),
                cmocka_unit_test(japanese_when_configured),
                cmocka_unit_test(abandoned_prompts_say_nothing_was_counted),
                cmocka_unit_test(every_message_exists_in_both_languages),
                cmocka_unit_test(contact_is_filled_in),
                cmocka_unit_test(count_is_filled_in),
                cmocka_unit_test(lock_message_overrides_the_locked_text),
                cmocka_unit_test(unknown_placeholders_are_left_as_they_are),
                cmocka_unit_test(unknown_message_id_gives_the_internal_error_text),
                cmocka_unit_test(truncation_stays_inside_the_buffer),
        };

        return cmocka_run_group_tests_name("messages", tests, NULL, NULL);
}
