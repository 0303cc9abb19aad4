"""A real SFTP server (asyncssh) on 127.0.0.1, port 0, serving a local folder.

It runs its own event loop in a thread. Its host key is generated per instance; clients log in
with ``username`` and ``password`` or with the private key of ``client_key``. ``drop_on_read``
makes the server abort the connection at the first read of a file whose name contains it (a
server that drops mid-transfer); ``deny_read`` refuses to open such a file (no read permission);
``deny_remove`` refuses deletions.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import asyncssh


def generate_key(algorithm: str = "ssh-ed25519") -> asyncssh.SSHKey:
    return asyncssh.generate_private_key(algorithm)


def private_key_text(key: asyncssh.SSHKey) -> str:
    return key.export_private_key("openssh").decode()


def fingerprint(key: asyncssh.SSHKey) -> str:
    return key.get_fingerprint("sha256")


class FakeSFTPServer:
    def __init__(
        self,
        root: Path,
        *,
        username: str = "acme",
        password: str = "s3cret-sftp-password",  # noqa: S107 - the fake server's own test password
        client_key=None,
    ):
        self.root = Path(root)
        self.username = username
        self.password = password
        self.client_key = client_key or generate_key()
        self.host_key = generate_key()
        self.host = "127.0.0.1"
        self.port = 0
        self.drop_on_read: str = ""
        self.deny_remove = False
        self.deny_read: str = ""
        self.logins: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.host_key)

    @property
    def client_private_key(self) -> str:
        return private_key_text(self.client_key)

    def path(self, relative: str) -> Path:
        return self.root / relative

    def write(self, relative: str, text: str) -> Path:
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def __enter__(self) -> FakeSFTPServer:
        self.root.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc_info):
        async def stop():
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _listen(self):
        fake = self
        authorized = asyncssh.import_authorized_keys(self.client_key.export_public_key().decode())

        class Server(asyncssh.SSHServer):
            def begin_auth(self, username):
                return True

            def password_auth_supported(self):
                return True

            def validate_password(self, username, password):
                ok = username == fake.username and password == fake.password
                if ok:
                    fake.logins.append(f"password:{username}")
                return ok

            def public_key_auth_supported(self):
                return True

            def validate_public_key(self, username, key):
                ok = username == fake.username and authorized.validate(key, "127.0.0.1", "127.0.0.1") is not None
                if ok:
                    fake.logins.append(f"publickey:{username}")
                return ok

        class SFTP(asyncssh.SFTPServer):
            def __init__(self, chan):
                super().__init__(chan, chroot=str(fake.root).encode())
                self._connection = chan.get_connection()

            def open(self, path, pflags, attrs):
                if fake.deny_read and fake.deny_read.encode() in path:
                    raise asyncssh.SFTPPermissionDenied("permission denied")
                if fake.drop_on_read and fake.drop_on_read.encode() in path:
                    self._connection.abort()
                    raise asyncssh.SFTPFailure("connection dropped")
                return super().open(path, pflags, attrs)

            def remove(self, path):
                if fake.deny_remove:
                    raise asyncssh.SFTPPermissionDenied("removal denied")
                return super().remove(path)

        return await asyncssh.listen(
            self.host,
            0,
            server_host_keys=[self.host_key],
            server_factory=Server,
            sftp_factory=SFTP,
            allow_scp=False,
        )
