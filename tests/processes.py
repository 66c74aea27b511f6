"""Helpers for tests that start real processes (a Celery worker, a web
server, a Redis) beside the suite."""

import socket
import subprocess


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen, grace: float = 15) -> None:
    """Ask a process to end, and make sure it has."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RedisServer:
    """A Redis of the test's own, which it may stop and start again on the
    same port; append-only, as in production, so a restart keeps the queue."""

    def __init__(self, folder, port: int | None = None):
        import shutil

        self.folder, self.port = folder, port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.command = [shutil.which("redis-server"), "--bind", "127.0.0.1", "--port", str(self.port)]
        self.command += ["--save", "", "--appendonly", "yes", "--dir", str(folder)]
        self.process = None

    def start(self) -> "RedisServer":
        import time

        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


class Browser:
    """Signs in to a server in another process and posts its forms, with the
    session and CSRF cookies a browser would keep (urllib, no browser)."""

    def __init__(self, base: str):
        import http.cookiejar
        import urllib.request

        self.base, self.cookies = base, http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect())

    def csrf(self) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None):
        """(status, body) — redirects and errors are answers here, not exceptions."""
        import urllib.error
        import urllib.request

        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as answer:
            return answer.code, answer.read().decode("utf-8", "replace")

    def post(self, path: str, fields: list[tuple[str, str]], files: dict | None = None):
        import urllib.parse
        import uuid

        fields = [("csrfmiddlewaretoken", self.csrf()), *fields]
        headers = {"Referer": self.base + path}
        if not files:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return self.request(path, urllib.parse.urlencode(fields).encode(), headers)
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, content) in files.items():
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            parts.append(head.encode() + b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        return self.request(path, b"".join(parts), headers)

    def sign_in(self, username: str, password: str) -> None:
        self.request("/accounts/login/")
        status, _body = self.post("/accounts/login/", [("username", username), ("password", password)])
        assert status == 302, f"sign-in as {username} answered {status}"


class PostgresServer:
    """A PostgreSQL cluster of the test's own in a temporary folder, which it
    may restart; as root it runs as the `postgres` user (initdb refuses root),
    so the folder is a fresh one under /tmp that user can enter (pytest's own
    folders are private to root)."""

    def __init__(self, *settings: str):
        """`settings`: more `-c name=value` for the server, e.g. "wal_level=replica"."""
        import glob
        import os
        import tempfile
        from pathlib import Path

        folder = Path(tempfile.mkdtemp(prefix="zoufang-pg-"))
        self.bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        self.folder, self.port = folder, free_port()
        self.data = folder / "data"
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        self.url = f"postgres://zoufang@127.0.0.1:{self.port}/zoufang"
        self.settings = settings

    def pg_ctl(self, *args):
        options = f"-k {self.folder} -h 127.0.0.1 -p {self.port} -c fsync=off -c synchronous_commit=off"
        options += "".join(f" -c {setting}" for setting in self.settings)
        command = [*self.as_pg, f"{self.bin}/pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log")]
        subprocess.run([*command, "-w", "-o", options, *args], check=True, stdout=subprocess.DEVNULL)

    def _own_folder(self) -> None:
        import os
        import shutil

        os.chmod(self.folder, 0o755)  # nosec B103  # the postgres user must enter it; it holds a throwaway cluster
        if self.as_pg:
            shutil.chown(self.folder, "postgres")

    def start(self) -> "PostgresServer":
        self._own_folder()
        initdb = [
            f"{self.bin}/initdb",
            "-D",
            str(self.data),
            "-U",
            "zoufang",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        ]
        subprocess.run([*self.as_pg, *initdb, "--locale=C.UTF-8"], check=True, stdout=subprocess.DEVNULL)
        self.pg_ctl("start")
        subprocess.run(
            [f"{self.bin}/createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "zoufang", "zoufang"], check=True
        )
        return self

    def restart(self) -> None:
        self.pg_ctl("-m", "fast", "restart")

    def stop(self) -> None:
        import shutil

        if (self.data / "postmaster.pid").exists():
            self.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


class PrimaryServer(PostgresServer):
    """A PostgreSQL cluster that streams its WAL to standbys on loopback
    (replication connections from 127.0.0.1 are trusted: a throwaway cluster)."""

    def __init__(self, *settings: str):
        super().__init__("wal_level=replica", "max_wal_senders=4", *settings)

    def start(self) -> "PrimaryServer":
        super().start()
        with open(self.data / "pg_hba.conf", "a") as hba:
            hba.write("host replication zoufang 127.0.0.1/32 trust\n")
        self.pg_ctl("reload")
        return self


class StandbyServer(PostgresServer):
    """A hot standby of `primary`: pg_basebackup -R copies the primary's
    cluster and writes standby.signal and primary_conninfo, and the copy,
    started on a port of its own, replays what the primary streams. Read only."""

    def __init__(self, primary: PrimaryServer):
        super().__init__("hot_standby=on")
        self.primary = primary

    def start(self) -> "StandbyServer":
        self._own_folder()
        basebackup = [f"{self.bin}/pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "zoufang"]
        basebackup += ["-D", str(self.data), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"]
        subprocess.run([*self.as_pg, *basebackup], check=True, stdout=subprocess.DEVNULL)
        self.pg_ctl("start")
        return self


class S3Server:
    """An S3-compatible server on loopback (moto's server mode, in a thread of
    the test process, so another process can reach it too), and the
    environment that points the app's media at a bucket of it."""

    REGION = "cn-north-1"
    KEY_ID, SECRET = "zoufang", "test-only-not-a-secret"  # nosec B105  # the throwaway server's

    def __init__(self):
        import boto3
        from moto.server import ThreadedMotoServer

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.client = boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=self.REGION,
            aws_access_key_id=self.KEY_ID,
            aws_secret_access_key=self.SECRET,
        )

    def start(self) -> "S3Server":
        self.server.start()
        self.reset()
        return self

    def reset(self) -> None:
        """Forget every bucket: moto keeps them per process, not per server."""
        import urllib.request

        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).close()  # nosec B310  # the test's own loopback server

    def stop(self) -> None:
        self.reset()
        self.server.stop()

    def bucket(self, name: str, prefix: str = "media") -> dict:
        """Make an empty bucket; the ZOUFANG_S3_* variables that store media there."""
        self.client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.REGION})
        return {
            "ZOUFANG_S3_BUCKET": name,
            "ZOUFANG_S3_ENDPOINT_URL": self.url,
            "ZOUFANG_S3_REGION": self.REGION,
            "ZOUFANG_S3_ACCESS_KEY_ID": self.KEY_ID,
            "ZOUFANG_S3_SECRET_ACCESS_KEY": self.SECRET,
            "ZOUFANG_S3_PREFIX": prefix,
        }

    def objects(self, bucket: str) -> dict[str, bytes]:
        listed = self.client.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {item["Key"]: self.client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in listed}
