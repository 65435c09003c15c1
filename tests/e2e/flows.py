"""The four clients as a test drives them: how a login is started, answered
and ended, which PAM service it uses and whom the audit log must name."""
import re

import clients
import pamd
import sshd
import text

SHELL_PROMPT = r"\$ $"
# the end of a refusal that kagi carries in a prompt over ssh, either language
ACK = "(" + "|".join(re.escape(t["enter"]) for t in (text.EN, text.JA)) + ") $"


class Client:
    name = None
    service = None

    def start(self, m, u, *options):
        raise NotImplementedError

    def person(self, m, u):
        """Who the audit log names as the person behind the login."""
        return u.name

    def session_account(self, u):
        return u.name

    def log_in(self, s, u, code):
        s.answer(clients.PASSWORD, u.password)
        s.answer(clients.CODE, code)
        return self.finish(s)

    def finish(self, s):
        s.end()
        return clients.logged_in(s)

    def give_up(self, s):
        """Let a refused client end: acknowledge kagi's refusal prompts (ssh)
        and wait for it to exit."""
        while s.next_of(ACK) == 0:
            s.p.sendline("")
        return s.end()

    def answered(self, m, u, code, *options):
        """One login: u's password, then `code` at the code prompt (a wrong
        code, the password, nothing); the session once the client is done."""
        s = self.start(m, u, *options)
        s.answer(clients.PASSWORD, u.password)
        s.answer(clients.CODE, code)
        self.give_up(s)
        return s


class Ssh(Client):
    name = "ssh"
    service = sshd.SERVICE

    def start(self, m, u, *options):
        return clients.ssh(u.name, *options)


class Sudo(Client):
    name = "sudo"
    service = pamd.SERVICES["sudo"]

    def start(self, m, u, *options):
        return clients.sudo(u.name, *options)

    def session_account(self, u):
        return "root"


class Su(Client):
    name = "su"
    service = "su"

    def start(self, m, u, *options):
        return clients.su(m.invoker.name, u.name)

    def person(self, m, u):
        return m.invoker.name


class Login(Client):
    name = "login"
    service = "login"

    def start(self, m, u, *options):
        return clients.login(u.name)

    def finish(self, s):
        s.wait_for(SHELL_PROMPT)
        s.p.sendline(clients.COMMAND + "; exit")
        s.end()
        return clients.logged_in(s)

    def give_up(self, s):
        # login asks for a user name again (hanging up ends it), or it stops
        # by itself (PAM_MAXTRIES: "Maximum number of tries exceeded")
        if s.next_of(r"login: $") == 0:
            return s.hang_up()
        return s.end()


ALL = [Ssh(), Sudo(), Su(), Login()]
