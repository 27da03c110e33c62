"""E-mail over SMTP (``smtplib``), optionally with STARTTLS or implicit TLS.

The Message-ID is derived from the idempotency key, so a copy sent twice by a retried
task carries the same id and mail clients thread or drop it.

Outcome classification follows the SMTP reply classes (RFC 5321 §4.2.1): 4yz is a
transient failure (retry), 5yz a permanent one (failed; a 5yz on RCPT marks the
address invalid when its enhanced status code, RFC 3463, is 5.1.x). Connection
failures, timeouts and dropped connections are retried; bad credentials and a
certificate the server cannot prove are permanent.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from alerts.transports.base import DeliveryResult, Message, Recipient, Transport


@dataclass(frozen=True)
class EmailConfig:
    host: str
    from_address: str
    port: int = 587
    username: str = ""
    password: str = ""
    starttls: bool = True
    implicit_tls: bool = False  # SMTPS on port 465
    ca_file: str | None = None  # trust this CA instead of the system store
    from_name: str = "农情监测"
    timeout: float = 15.0


class Email(Transport):
    kind = "email"
    config_class = EmailConfig

    def notify(self, message: Message, recipient: Recipient) -> DeliveryResult:
        cfg: EmailConfig = self.config
        if not recipient.email:
            return DeliveryResult.failed("recipient has no e-mail address", address_invalid=True)
        mail = self.compose(message, recipient)
        try:
            with self._connect() as smtp:
                if cfg.starttls and not cfg.implicit_tls:
                    smtp.starttls(context=self._tls_context())
                if cfg.username:
                    smtp.login(cfg.username, cfg.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            text = _text(reply)
            # RFC 3463: enhanced status 5.1.x is about the address itself (no such
            # mailbox, bad domain); other 5yz refusals (relaying denied) are ours.
            dead = code >= 500 and text.startswith("5.1.")
            return _by_code(code, f"RCPT refused: {code} {text}", address=dead)
        except smtplib.SMTPAuthenticationError as exc:
            return DeliveryResult.failed(
                f"SMTP login failed: {exc.smtp_code} {_text(exc.smtp_error)}"
            )
        except smtplib.SMTPResponseException as exc:
            return _by_code(exc.smtp_code, f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}")
        except smtplib.SMTPNotSupportedError as exc:
            return DeliveryResult.failed(f"SMTP server lacks a required extension: {exc}")
        except ssl.SSLCertVerificationError as exc:
            return DeliveryResult.failed(f"SMTP server certificate rejected: {exc}")
        except (smtplib.SMTPException, OSError) as exc:
            return DeliveryResult.retry(f"SMTP {type(exc).__name__}: {exc}")
        return DeliveryResult.delivered(mail["Message-ID"], f"accepted by {cfg.host}")

    def compose(self, message: Message, recipient: Recipient) -> EmailMessage:
        cfg: EmailConfig = self.config
        mail = EmailMessage()
        mail["Subject"] = message.title
        mail["From"] = formataddr((cfg.from_name, cfg.from_address))
        mail["To"] = formataddr((recipient.name, recipient.email))
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = _message_id(message, cfg.from_address)
        mail["X-Incident-Id"] = message.incident_id
        mail.set_content(f"{message.body}\n\n{message.incident_url}\n")
        return mail

    def _connect(self) -> smtplib.SMTP:
        cfg: EmailConfig = self.config
        if cfg.implicit_tls:
            return smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=cfg.timeout, context=self._tls_context()
            )
        return smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.ca_file)


def _message_id(message: Message, from_address: str) -> str:
    domain = from_address.rpartition("@")[2] or "localhost"
    seed = message.idempotency_key or f"{message.incident_id}:{message.template}:{message.body}"
    return f"<{hashlib.sha256(seed.encode()).hexdigest()[:32]}@{domain}>"


def _by_code(code: int, detail: str, *, address: bool = False) -> DeliveryResult:
    if 400 <= code < 500:
        return DeliveryResult.retry(detail)
    return DeliveryResult.failed(detail, address_invalid=address)


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
