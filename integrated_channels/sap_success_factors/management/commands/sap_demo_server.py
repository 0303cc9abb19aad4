"""``manage.py sap_demo_server [--port 8099] [--customer SLUG]``: the strict fake SAP tenant on 127.0.0.1, for demos.

It is the server the tests hold the channel to (``local_tenant``, decision 0301): it checks the token
request, every field of every learning event and course, and prints one line per request. With
``--customer``, that customer gets an active SAP connection named "Local SAP demo server" pointing at it.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import threading

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from integrated_channels.sap_success_factors.local_tenant import FakeSAPSuccessFactors

CONNECTION_NAME = "Local SAP demo server"
COMPANY, CLIENT_ID, ADMIN_USER, PROVIDER = "DEMO", "demo-client", "sfadmin", "EDX"


class Command(BaseCommand):
    help = (
        "Serve a strict fake SAP SuccessFactors tenant on 127.0.0.1 (the one the tests use) and print what it "
        "receives; with --customer, point that customer's 'Local SAP demo server' connection at it. For demos: "
        "then run transmit_learner_data --channel SAP in another terminal. Ctrl-C stops it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8099, help="Port on 127.0.0.1 (8099; 0 for any free one).")
        parser.add_argument("--customer", metavar="SLUG_OR_UUID", help="Create or update this customer's connection.")
        parser.add_argument(
            "--accepts-arrays", action="store_true", help="The tenant takes arrays of up to 10 learning events."
        )
        parser.add_argument("--seconds", type=float, default=None, help=argparse.SUPPRESS)  # stop after (tests)

    def handle(self, *args, port, customer, accepts_arrays, seconds, **options):
        secret = secrets.token_urlsafe(18)
        try:
            server = FakeSAPSuccessFactors(port=port, listener=self._print)
        except OSError as exc:
            raise CommandError(f"Cannot listen on 127.0.0.1:{port}: {exc.strerror}. Try another --port.") from exc
        server.add_tenant(COMPANY, CLIENT_ID, secret, admin_user_id=ADMIN_USER, accepts_arrays=accepts_arrays)
        if customer:
            try:
                self._configure(customer, server.base_url, secret)
            except CommandError:
                server.stop()
                raise
        self.stdout.write(self.style.SUCCESS(f"Fake SAP SuccessFactors tenant at {server.base_url}"))
        self.stdout.write(f"  company id {COMPANY}, client id {CLIENT_ID}, client secret {secret}")
        self.stdout.write(f"  admin user {ADMIN_USER} (user type admin), provider id {PROVIDER}")
        if not customer:
            self.stdout.write("  (give --customer SLUG to point a customer's SAP connection at it)")
        with server, contextlib.suppress(KeyboardInterrupt):
            wait_until_stopped(seconds)
        events = server.events()
        self.stdout.write(f"Stopped: {len(events)} learning event(s), {len(server.courses())} course(s) accepted.")

    def _configure(self, reference: str, base_url: str, secret: str) -> None:
        from enterprise.management.commands.link_learners import find_customer
        from integrated_channels.sap_success_factors.models import SAPSuccessFactorsConfiguration

        customer = find_customer(reference)
        config = SAPSuccessFactorsConfiguration.objects.filter(customer=customer, name=CONNECTION_NAME).first()
        config = config or SAPSuccessFactorsConfiguration(customer=customer, name=CONNECTION_NAME)
        values = {
            "active": True,
            "base_url": base_url,
            "company_id": COMPANY,
            "client_id": CLIENT_ID,
            "client_secret": secret,
            "sap_user_id": ADMIN_USER,
            "user_type": SAPSuccessFactorsConfiguration.UserType.ADMIN,
            "completion_mode": SAPSuccessFactorsConfiguration.CompletionMode.ADMIN,
            "provider_id": PROVIDER,
        }
        for name, value in values.items():
            setattr(config, name, value)
        try:
            config.full_clean()
        except ValidationError as exc:
            hint = ""
            if "base_url" in exc.message_dict:
                hint = (
                    " The address guard refuses http://127.0.0.1: start the site and this command with "
                    "CHANNELS_ALLOW_HTTP=1 CHANNELS_ALLOWED_ADDRESSES=127.0.0.1 (standalone settings)."
                )
            messages = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in exc.message_dict.items())
            raise CommandError(f"The demo connection is refused: {messages}.{hint}") from exc
        config.save()
        self.stdout.write(
            f"{customer.name}: connection '{CONNECTION_NAME}' (#{config.pk}) points at {base_url} and is active."
        )

    def _print(self, received, error) -> None:
        line = f"{received.kind:<10} {received.status}"
        body = received.body
        if received.kind == "events" and received.status == 200:
            events = body if isinstance(body, list) else [body]
            line += " " + "; ".join(
                f"{e['userID']} {e['courseID']} {e['grade']} totalHours={e['totalHours']}" for e in events
            )
        elif received.kind == "courses" and received.status == 200:
            line += f" {len(body['ocnCourses'])} course(s)"
        if error:
            line += f" {error['code']}: {error['message']}"
        self.stdout.write(line)
        self.stdout.flush()


def wait_until_stopped(seconds: float | None) -> None:
    """Serve until Ctrl-C (or ``seconds``)."""
    threading.Event().wait(seconds)
