"""Send a plain-text e-mail through an SMTP relay (smtplib). Translates smtplib errors at the boundary."""

from __future__ import annotations

import smtplib
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from adapters.webhook import PostResult, elapsed_ms


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    sender: str = "cogw@localhost"
    username: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = False
    timeout: float = 10.0


class SmtpMailer:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def send(self, to: str, subject: str, text: str, headers: dict[str, str]) -> PostResult:
        c = self.config
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = c.sender, to, subject
        for name, value in headers.items():
            msg[name] = value
        msg.set_content(text)
        started = time.monotonic()
        try:
            with smtplib.SMTP(c.host, c.port, timeout=c.timeout) as smtp:
                if c.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if c.username:
                    smtp.login(c.username, c.password)
                smtp.send_message(msg)
        except (smtplib.SMTPException, OSError) as exc:
            code = getattr(exc, "smtp_code", None)
            error = f"{type(exc).__name__}: {exc}"[:500]
            return PostResult(code if isinstance(code, int) else None, elapsed_ms(started), error)
        return PostResult(250, elapsed_ms(started))

