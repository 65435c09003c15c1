"""The four clients as a test drives them: how a login is started, answered
and ended, which PAM service it uses and whom the audit log must name."""
import clients
import pamd
import sshd

SHELL_PROMPT = r"\$ $"


class Client:
    name = None
    service = None
    retries = False              # does it ask again after a failure?

    def start(self, m, u):
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
        """End a refused client that would ask again."""
        return s.end()


class Ssh(Client):
    name = "ssh"
    service = sshd.SERVICE

    def start(self, m, u):
        return clients.ssh(u.name)


class Sudo(Client):
    name = "sudo"
    service = pamd.SERVICES["sudo"]

    def start(self, m, u):
        return clients.sudo(u.name)

    def session_account(self, u):
        return "root"


class Su(Client):
    name = "su"
    service = "su"

    def start(self, m, u):
        return clients.su(m.invoker.name, u.name)

    def person(self, m, u):
        return m.invoker.name


class Login(Client):
    name = "login"
    service = "login"
    retries = True

    def start(self, m, u):
        return clients.login(u.name)

    def finish(self, s):
        s.wait_for(SHELL_PROMPT)
        s.p.sendline(clients.COMMAND + "; exit")
        s.end()
        return clients.logged_in(s)

    def give_up(self, s):
        # login asks for a user name again (hanging up ends it), or it stops
        # by itself (PAM_MAXTRIES: "Maximum number of tries exceeded")
        if s.wait_for(r"login: |Maximum number of tries exceeded") is not None and s.p.match.group(0) == "login: ":
            return s.hang_up()
        return s.end()


ALL = [Ssh(), Sudo(), Su(), Login()]
