/* Every sentence a user reads at login, in English and Japanese. Staff of
 * the My Number zone often read Japanese first: `[broker] language = ja`. */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "policy.h"

static const char *const text[MSG_ID_MAX_][2] = {
        [MSG_AUTH_FAILED] = { "Authentication failed.", "認証に失敗しました。" },
        [MSG_LOCKED] = { "This account is locked after repeated failed logins. Contact {contact} to unlock it.",
                         "認証の失敗が続いたため、このアカウントはロックされています。解除については{contact}に連絡してください。" },
        [MSG_NOW_LOCKED] = { "Authentication failed. The account is now locked; contact {contact}.",
                             "認証に失敗しました。このアカウントはロックされました。{contact}に連絡してください。" },
        [MSG_DISABLED] = { "This account is disabled.", "このアカウントは無効になっています。" },
        [MSG_NOT_PERMITTED] = { "You are not permitted to log in here.", "この端末へのログインは許可されていません。" },
        [MSG_NO_METHOD] = { "No permitted way to log in is available here. Contact {contact}.",
                            "ここで利用できる認証方法がありません。{contact}に連絡してください。" },
        [MSG_REPLAY] = { "That code was already used. Wait for the next code.",
                         "そのコードは使用済みです。次のコードが表示されてから入力してください。" },
        [MSG_UNAVAILABLE] = { "The authentication service is unavailable. Try again later or contact {contact}.",
                              "認証サービスを利用できません。しばらくしてから再度試すか、{contact}に連絡してください。" },
        [MSG_INTERNAL] = { "Authentication could not be completed. Contact {contact}.",
                           "認証を完了できませんでした。{contact}に連絡してください。" },
        [MSG_INSERT_CARD] = { "Insert your IC card.", "ICカードを挿入してください。" },
        [MSG_CARD_REFUSED] = { "This IC card cannot be used to log in.", "このICカードではログインできません。" },
        [MSG_CARD_REVOKED] = { "This IC card has been revoked. Contact {contact}.",
                               "このICカードは失効しています。{contact}に連絡してください。" },
        [MSG_CARD_SHARED] = { "This IC card is registered to someone else and cannot be used for this account.",
                              "このICカードは他の職員に登録されているため、このアカウントには使用できません。" },
        [MSG_PIN_WRONG] = { "Wrong PIN. {n} tries left before the card blocks.",
                            "暗証番号が違います。カードがロックされるまであと{n}回です。" },
        [MSG_PIN_LAST_TRY] = { "Only one PIN try is left on this card: a wrong PIN now blocks the card.",
                               "暗証番号の残り回数は1回です。次に間違えるとカードがロックされます。" },
        [MSG_PIN_BLOCKED] = { "The card's PIN is blocked. Contact {contact}.",
                              "カードの暗証番号がロックされています。{contact}に連絡してください。" },
        [MSG_CARD_ABORTED] = { "The IC card was removed or could not be read. Login cancelled.",
                               "ICカードが抜かれたか読み取れませんでした。ログインを中止しました。" },
        [MSG_NO_READER] = { "No IC card reader is available. Contact {contact}.",
                            "ICカードリーダーを利用できません。{contact}に連絡してください。" },
        [MSG_PROMPT_PASSWORD] = { "Password: ", "パスワード: " },
        [MSG_PROMPT_CODE] = { "Verification code: ", "確認コード: " },
        [MSG_PROMPT_PIN] = { "IC card PIN: ", "ICカードの暗証番号: " },
        [MSG_BUSY] = { "Too many logins to this account are in progress at once. Try again in a moment.",
                       "このアカウントへのログインが同時に多数行われています。しばらくしてから再度お試しください。" },
        [MSG_NO_INDIVIDUAL] = { "This account is reached only from your own: with su or sudo, or with your IC card.",
                                "このアカウントは、ご自身のアカウントから su・sudo で利用するか、ご自身のICカードで"
                                "ログインしてください。" },
        [MSG_NEED_GRANT] = { "Privileged access needs a grant. Ask for one: kagictl grant request {name} --for "
                             "DURATION --reason TEXT",
                             "特権の利用には許可が必要です。申請方法: kagictl grant request {name} --for 時間 "
                             "--reason 理由" },
        [MSG_GRANT_PENDING] = { "Request {n} waits for approval by another person ({name}).",
                                "申請（番号 {n}）は承認待ちです（承認者: {name}）。" },
        [MSG_GRANT_REFUSED] = { "The grant was not given: {name}.", "許可は得られませんでした: {name}" },
        [MSG_PROMPT_REASON] = { "Reason for privileged access ({name}): ", "特権を利用する理由（{name}）: " },
        [MSG_PROMPT_DURATION] = { "For how long (e.g. 30m; at most {n} minutes): ",
                                  "利用時間（例: 30m、最長 {n} 分）: " },
        [MSG_PROMPT_PERSON_PASSWORD] = { "Password of {name}: ", "{name} のパスワード: " },
        [MSG_PROMPT_PERSON_CODE] = { "Verification code of {name}: ", "{name} の確認コード: " },
        [MSG_NO_BOUND] = { "A privileged session cannot be time-limited on this host, so it is not started. Contact "
                           "{contact}.",
                           "この端末では特権セッションの時間制限ができないため、開始しません。{contact}に連絡して"
                           "ください。" },
        [MSG_SESSION_WARN] = { "kagi: this privileged session ends in {n} minute(s). To extend it: kagictl grant "
                               "extend {name} --by DURATION --reason TEXT",
                               "kagi: この特権セッションはあと {n} 分で終了します。延長するには: kagictl grant "
                               "extend {name} --by 時間 --reason 理由" },
        [MSG_SESSION_ENDED] = { "kagi: this privileged session has ended ({name}).",
                                "kagi: この特権セッションは終了しました（{name}）。" },
        [MSG_ABANDONED] = { "Login cancelled: nothing was entered. This does not count as a failed attempt.",
                            "入力がなかったため、ログインを中止しました。失敗回数には数えません。" },
        [MSG_CODE_IS_PASSWORD] = { "That was your password. This prompt asks for the verification code shown by "
                                   "your authenticator app. This does not count as a failed attempt.",
                                   "入力されたのはパスワードです。この欄には認証アプリに表示される確認コードを"
                                   "入力してください。失敗回数には数えません。" },
        [MSG_PRESS_ENTER] = { " [press Enter]", "［Enterキーを押してください］" },  /* appended to the line: English takes a space, Japanese none */
};

static const char *const default_contact[2] = { "your system administrator", "システム管理者" };

void message_format(const struct kagi_config *c, enum msg_id id, unsigned n, char *buf, size_t size)
{
        message_format_name(c, id, n, NULL, buf, size);
}

void message_format_name(const struct kagi_config *c, enum msg_id id, unsigned n, const char *name, char *buf,
                         size_t size)
{
        int lang = c && c->language == KAGI_LANG_JA ? 1 : 0;
        const char *contact = c && c->contact ? c->contact : default_contact[lang];
        const char *t;
        size_t o = 0;

        if (size == 0)
                return;
        if ((unsigned)id >= MSG_ID_MAX_)
                id = MSG_INTERNAL;
        t = id == MSG_LOCKED && c && c->lock_message ? c->lock_message : text[id][lang];
        while (*t && o + 1 < size) {
                char num[16];
                const char *sub = NULL;

                if (strncmp(t, "{contact}", 9) == 0) {
                        sub = contact;
                        t += 9;
                } else if (strncmp(t, "{n}", 3) == 0) {
                        snprintf(num, sizeof(num), "%u", n);
                        sub = num;
                        t += 3;
                } else if (strncmp(t, "{name}", 6) == 0) {
                        sub = name ? name : "";
                        t += 6;
                }
                if (sub) {
                        size_t l = strlen(sub);
                        if (l > size - 1 - o)
                                l = size - 1 - o;
                        memcpy(buf + o, sub, l);
                        o += l;
                } else {
                        buf[o++] = *t++;
                }
        }
        /* never end inside a multi-byte character (Japanese text, a long contact) */
        if (o > 0) {
                size_t start = o - 1, need;

                while (start > 0 && ((unsigned char)buf[start] & 0xC0) == 0x80)
                        start--;
                need = ((unsigned char)buf[start] & 0x80) == 0x00   ? 1
                       : ((unsigned char)buf[start] & 0xE0) == 0xC0 ? 2
                       : ((unsigned char)buf[start] & 0xF0) == 0xE0 ? 3
                                                                     : 4;
                if (start + need > o)
                        o = start;
        }
        buf[o] = '\0';
}
