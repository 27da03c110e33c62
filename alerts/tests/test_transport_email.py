"""E-mail against a local aiosmtpd server (plain, STARTTLS, AUTH, refusals)."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import ssl
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from alerts.transports.base import DeliveryStatus, Recipient, get_transport
from alerts.transports.email import EmailConfig
from alerts.transports.messages import IncidentSummary, render

from .transport_servers import free_port


class Mailbox:
    """aiosmtpd handler that stores messages and refuses configured recipients."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: dict[str, str] = {}
        self.data_reply = "250 Message accepted for delivery"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.data_reply.startswith("250"):
            parsed = email.message_from_bytes(envelope.content, policy=default_policy)
            self.messages.append(parsed)
        return self.data_reply


def smtp_server(mailbox: Mailbox, **smtp_options) -> Controller:
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **smtp_options)
    controller.start()
    return controller


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = smtp_server(box)
    box.port = controller.port
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, standing in for the mail server's."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


def mailer(port: int, **options):
    config = {"host": "127.0.0.1", "port": port, "from_address": "alerts@agri.example.cn"}
    config.setdefault("starttls", False)
    return get_transport("email", EmailConfig(**(config | options)))


INCIDENT = IncidentSummary(
    42, "https://agri.example.cn/i/42", "critical", "3号塘", "溶解氧", "2.1 mg/L", "3.0 mg/L"
)
MESSAGE = render("firing", INCIDENT, idempotency_key="incident:42:recipient:7:email:firing:0")
MANAGER = Recipient(name="李经理", email="manager@coop.example.cn")


def test_email_is_delivered_with_title_body_and_link(mailbox):
    result = mailer(mailbox.port).notify(MESSAGE, MANAGER)

    assert result.status is DeliveryStatus.DELIVERED, result.detail
    (mail,) = mailbox.messages
    assert mail["Subject"] == MESSAGE.title
    assert mail["To"].addresses[0].addr_spec == "manager@coop.example.cn"
    assert "https://agri.example.cn/i/42" in mail.get_content()
    assert mail["Message-ID"] == result.provider_id


def test_message_id_is_the_same_for_the_same_idempotency_key(mailbox):
    first = mailer(mailbox.port).notify(MESSAGE, MANAGER)
    second = mailer(mailbox.port).notify(MESSAGE, MANAGER)

    assert first.provider_id == second.provider_id
    assert first.provider_id.endswith("@agri.example.cn>")


def test_unknown_mailbox_550_fails_and_marks_the_address_invalid(mailbox):
    mailbox.refuse["manager@coop.example.cn"] = "550 5.1.1 No such user"

    result = mailer(mailbox.port).notify(MESSAGE, MANAGER)

    assert result.status is DeliveryStatus.FAILED
    assert result.address_invalid


def test_relaying_denied_550_is_permanent_but_keeps_the_address(mailbox):
    mailbox.refuse["manager@coop.example.cn"] = "550 5.7.1 Relaying denied"

    result = mailer(mailbox.port).notify(MESSAGE, MANAGER)

    assert result.status is DeliveryStatus.FAILED
    assert not result.address_invalid


def test_greylisted_recipient_451_is_retried(mailbox):
    mailbox.refuse["manager@coop.example.cn"] = "451 4.7.1 Greylisted, try again later"

    assert mailer(mailbox.port).notify(MESSAGE, MANAGER).status is DeliveryStatus.RETRY


def test_message_rejected_at_data_554_is_permanent(mailbox):
    mailbox.data_reply = "554 5.7.1 Message rejected as spam"

    result = mailer(mailbox.port).notify(MESSAGE, MANAGER)

    assert result.status is DeliveryStatus.FAILED
    assert not result.address_invalid


def test_unreachable_server_is_retried():
    assert mailer(free_port(), timeout=2.0).notify(MESSAGE, MANAGER).status is DeliveryStatus.RETRY


def test_recipient_without_email_fails_as_invalid_address(mailbox):
    result = mailer(mailbox.port).notify(MESSAGE, Recipient(name="无邮箱"))

    assert result.status is DeliveryStatus.FAILED
    assert mailbox.messages == []


def tls_server(certificate, **options) -> tuple[Mailbox, Controller]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    box = Mailbox()
    controller = smtp_server(box, tls_context=context, require_starttls=True, **options)
    return box, controller


def test_starttls_with_a_trusted_certificate_delivers(certificate):
    box, controller = tls_server(certificate)
    try:
        result = mailer(controller.port, starttls=True, ca_file=certificate[0]).notify(
            MESSAGE, MANAGER
        )
    finally:
        controller.stop()

    assert result.status is DeliveryStatus.DELIVERED, result.detail
    assert len(box.messages) == 1


def test_starttls_with_an_untrusted_certificate_is_permanent(certificate):
    box, controller = tls_server(certificate)
    try:
        result = mailer(controller.port, starttls=True).notify(MESSAGE, MANAGER)
    finally:
        controller.stop()

    assert result.status is DeliveryStatus.FAILED
    assert "certificate" in result.detail
    assert box.messages == []


def check_password(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = auth_data.login == b"alerts" and auth_data.password == b"right-password"
    return AuthResult(success=ok, handled=False)


def test_login_with_the_right_password_over_starttls_delivers(certificate):
    box, controller = tls_server(certificate, authenticator=check_password, auth_required=True)
    try:
        result = mailer(
            controller.port,
            starttls=True,
            ca_file=certificate[0],
            username="alerts",
            password="right-password",
        ).notify(MESSAGE, MANAGER)
    finally:
        controller.stop()

    assert result.status is DeliveryStatus.DELIVERED, result.detail
    assert len(box.messages) == 1


def test_login_with_a_wrong_password_is_permanent(certificate):
    box, controller = tls_server(certificate, authenticator=check_password, auth_required=True)
    try:
        result = mailer(
            controller.port,
            starttls=True,
            ca_file=certificate[0],
            username="alerts",
            password="wrong",
        ).notify(MESSAGE, MANAGER)
    finally:
        controller.stop()

    assert result.status is DeliveryStatus.FAILED
    assert "login" in result.detail
