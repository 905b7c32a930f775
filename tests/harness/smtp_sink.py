#!/usr/bin/python3
"""A real SMTP server for the end-to-end tests (Debian's python3-aiosmtpd) on 127.0.0.1.

Every message received is written to DIR/<n>.eml as the envelope sender and recipients
(X-Envelope-* lines) followed by the message. Options: --starttls CERT KEY offers STARTTLS
(--require-tls refuses mail without it), --smtps CERT KEY speaks implicit TLS, --auth USER:PASS
requires AUTH. Prints "ready" once listening; runs until SIGTERM.
Usage: smtp_sink.py PORT DIR [options]
"""
import argparse
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Saver:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        # STARTTLS sets session.ssl; implicit TLS (smtps) shows on the transport.
        implicit = server.transport is not None and server.transport.get_extra_info("ssl_object") is not None
        tls = "yes" if (session.ssl or implicit) else "no"
        header = (f"X-Envelope-From: {envelope.mail_from}\n"
                  f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\n"
                  f"X-Session-TLS: {tls}\n"
                  f"X-Session-Auth: {session.authenticated}\n")
        path = os.path.join(self.directory, f"{n:04d}.eml")
        with open(path + ".tmp", "wb") as f:
            f.write(header.encode() + envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 OK"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("dir")
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--smtps", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--require-tls", action="store_true")
    p.add_argument("--auth")
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)

    kwargs = {}
    if a.starttls or a.smtps:
        cert, key = a.starttls or a.smtps
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        if a.starttls:
            kwargs["tls_context"] = ctx
            kwargs["require_starttls"] = a.require_tls
        else:
            kwargs["ssl_context"] = ctx
    if a.auth:
        user, password = a.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
                  and auth_data.password.decode() == password)
            return AuthResult(success=ok)

        kwargs["authenticator"] = authenticator
        kwargs["auth_required"] = True
        # Tests run AUTH over TLS or plain loopback; allow plain only when no TLS is set up.
        kwargs["auth_require_tls"] = bool(a.starttls)

    controller = Controller(Saver(a.dir), hostname="127.0.0.1", port=a.port, **kwargs)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
