"""What the user must read, word for word, in each language (the catalog
is policy/messages.c; here it is the expectation)."""
import broker

EN = {
    "failed": "Authentication failed.",
    "now_locked": "Authentication failed. The account is now locked; contact " + broker.CONTACT + ".",
    "locked": "This account is locked after repeated failed logins. Contact " + broker.CONTACT + " to unlock it.",
    "unavailable": "The authentication service is unavailable. Try again later or contact " + broker.CONTACT + ".",
    "not_permitted": "You are not permitted to log in here.",
    "abandoned": "Login cancelled: nothing was entered. This does not count as a failed attempt.",
    "code_is_password": "That was your password. This prompt asks for the verification code shown by your "
                        "authenticator app. This does not count as a failed attempt.",
    "code_prompt": "Verification code: ",
    "enter": " [press Enter]",
}
JA = {
    "failed": "認証に失敗しました。",
    "now_locked": "認証に失敗しました。このアカウントはロックされました。" + broker.CONTACT_JA + "に連絡してください。",
    "locked": "認証の失敗が続いたため、このアカウントはロックされています。解除については"
              + broker.CONTACT_JA + "に連絡してください。",
    "unavailable": "認証サービスを利用できません。しばらくしてから再度試すか、" + broker.CONTACT_JA + "に連絡してください。",
    "not_permitted": "この端末へのログインは許可されていません。",
    "abandoned": "入力がなかったため、ログインを中止しました。失敗回数には数えません。",
    "code_is_password": "入力されたのはパスワードです。この欄には認証アプリに表示される確認コードを入力してください。"
                        "失敗回数には数えません。",
    "code_prompt": "確認コード: ",
    "enter": "［Enterキーを押してください］",
}


def of(m):
    return JA if m.kagi.language == "ja" else EN


def escaped(transcript):
    """Octal escapes where text should be: what the OpenSSH client makes of
    non-ASCII message text (\\350\\252\\215…)."""
    import re
    return re.search(r"\\[23][0-7]{2}", transcript) is not None
