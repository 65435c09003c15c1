"""Prompts that get no credential (pam_kagi(8), "Abandoned prompts" and "The
password at the code prompt"): the same in every client — recorded, never
counted, and where the module still can, said."""
import time

import clients
import flows
import pamd
import text
from suite import case, check


def abandoned_records(m, u, timeout=5):
    """The audit records of u's abandoned attempts; kagid writes them itself
    when the client's process died, within a moment."""
    deadline = time.monotonic() + timeout
    while True:
        rec = m.kagi.audit(event="auth", account=u.name, result="abandoned")
        if rec or time.monotonic() > deadline:
            return rec
        time.sleep(0.1)


def password_at_code_prompt(c):
    def test(m):
        u = m.new_user()
        s = c.answered(m, u, u.password)
        check(not clients.logged_in(s), "refused", s)
        check(s.shows(text.EN["code_is_password"]), "the user reads what the code prompt asks for", s)
        check(u.failures() == 0, f"not counted: {u.failures()}")
        rec = m.kagi.audit(account=u.name, result="denied", factor="totp")
        check(len(rec) == 1 and "password was typed at the code prompt" in rec[0]["reason"], f"audited: {rec}")
    return test


def empty_code(c):
    def test(m):
        u = m.new_user()
        s = c.answered(m, u, "")
        check(s.shows(text.EN["abandoned"]), "the user reads that nothing was entered and nothing counted", s)
        check(u.failures() == 0, f"not counted: {u.failures()}")
        rec = abandoned_records(m, u)
        check(len(rec) == 1 and rec[0]["reason"] == "empty answer at the code prompt (not counted)",
              f"audited as abandoned: {rec}")
    return test


def interrupted_at(c, prompt):
    def test(m):
        u = m.new_user()
        s = c.start(m, u)
        if prompt == clients.CODE:
            s.answer(clients.PASSWORD, u.password)
        s.wait_for(prompt)
        # the prompt is on the screen a moment before the client reads the
        # terminal (sudo sets it up for the answer after printing): a Ctrl-C
        # typed in between reaches a client not yet listening for it
        time.sleep(0.5)
        s.interrupt()
        status = s.end()
        check(not clients.logged_in(s), "not logged in", s)
        rec = abandoned_records(m, u)
        check(len(rec) == 1, f"one abandoned attempt audited, got {rec}")
        check(u.failures() == 0, f"not counted: {u.failures()}")
        if c.name == "sudo":
            # sudo survives Ctrl-C at a prompt: the module says what happened
            check(s.shows(text.EN["abandoned"]), "the user reads that nothing was counted", s)
        else:
            # the client died of it; kagid saw its PAM process end
            check("ended before an answer" in rec[0]["reason"], f"recorded by kagid: {rec[0]}")
        check(status != 0, f"{c.name} exited {status}")
    return test


def sudo_prompt_override(how):
    """sudo -p and passprompt_override show sudo's text for every prompt,
    kagi's code prompt too; the password given twice is explained and not
    counted."""
    def test(m):
        prompt = pamd.OVERRIDE_PROMPT
        if how == "-p":
            u = m.new_user()
            options = ["-p", prompt]
        else:
            u = m.new_user(groups=[pamd.OVERRIDE_GROUP])
            options = []
        s = clients.sudo(u.name, *options)
        s.answer(prompt, u.password)
        s.answer(prompt, u.password)
        s.end()
        check(not s.shows(text.EN["code_prompt"]), f"{how} replaced the code prompt too", s)
        check(s.shows(text.EN["code_is_password"]), "the second answer is explained", s)
        check(u.failures() == 0, f"not counted: {u.failures()}")
        # the right code at the same prompt works
        s = clients.sudo(u.name, *options)
        s.answer(prompt, u.password)
        s.answer(prompt, u.code())
        s.end()
        check(clients.logged_in(s) == "root", "the code at sudo's prompt logs in", s)
    return test


def six_digit_password_is_a_code(m):
    """The documented exception: a password of code form is checked as a code."""
    u = m.new_user(password="482915")
    s = clients.sudo(u.name)
    s.answer(clients.PASSWORD, u.password)
    s.answer(clients.CODE, u.password)
    s.end()
    check(s.shows(text.EN["failed"]) and not s.shows(text.EN["code_is_password"]),
          "checked as a code: a wrong code", s)
    check(u.failures() == 1, f"counted: {u.failures()}")


def login_timeout(m):
    u = m.new_user()
    s = clients.login(u.name)
    s.answer(clients.PASSWORD, u.password)
    s.wait_for(clients.CODE)
    s.end(timeout=pamd.LOGIN_TIMEOUT + 10)
    check(s.shows(f"Login timed out after {pamd.LOGIN_TIMEOUT} seconds"), "login timed out", s)
    rec = abandoned_records(m, u)
    check(len(rec) == 1, f"one abandoned attempt audited: {rec}")
    check(u.failures() == 0, f"not counted: {u.failures()}")


def sudo_timeout(m):
    u = m.new_user(groups=[pamd.SLOW_GROUP])
    s = clients.sudo(u.name)
    s.answer(clients.PASSWORD, u.password)
    s.wait_for(clients.CODE)
    t0 = time.monotonic()
    s.end(timeout=pamd.SUDO_TIMEOUT + 15)
    check(time.monotonic() - t0 >= pamd.SUDO_TIMEOUT - 1, "sudo waited for its passwd_timeout", s)
    check(not clients.logged_in(s), "nothing ran", s)
    rec = abandoned_records(m, u)
    check(len(rec) == 1, f"one abandoned attempt audited: {rec}")
    check(u.failures() == 0, f"not counted: {u.failures()}")


for c in flows.ALL:
    case(f"{c.name}: the password typed at the code prompt is explained, audited and not counted", c.name)(
        password_at_code_prompt(c))
    case(f"{c.name}: an empty code is abandoned: said, audited, not counted", c.name)(empty_code(c))
    case(f"{c.name}: Ctrl-C at the code prompt is abandoned: audited, not counted", c.name)(
        interrupted_at(c, clients.CODE))
    case(f"{c.name}: Ctrl-C at the password prompt is abandoned: audited, not counted", c.name)(
        interrupted_at(c, clients.PASSWORD))
case("sudo -p: the password at the overridden code prompt is explained, not counted", "sudo")(
    sudo_prompt_override("-p"))
case("sudoers passprompt_override: the password at the code prompt is explained, not counted", "sudo")(
    sudo_prompt_override("passprompt_override"))
case("sudo: a six-digit password at the code prompt is checked as a code (the documented exception)", "sudo")(
    six_digit_password_is_a_code)
case("login: a prompt left until login's timeout is abandoned: audited, not counted", "login")(login_timeout)
case("sudo: a prompt left until sudo's passwd_timeout is abandoned: audited, not counted", "sudo")(sudo_timeout)
