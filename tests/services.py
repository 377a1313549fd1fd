"""Real services for the run tier: PostgreSQL, an MLflow server, an HTTP app.

Every service runs as a child process in its own process group (session), bound to
127.0.0.1 on a free port, with its output in a log file. Leaving a context manager
stops the whole group, children included (uvicorn workers, MLflow's helpers, the
PostgreSQL backends): first politely, then with SIGKILL. A service that fails to
start raises :class:`ServiceError` with the tail of its log.
"""

from __future__ import annotations

import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)  # newest first
PG_DRIVER = "psycopg[binary]"  # added to the project's environment for `mlflow server`
PG_USER = "mlflow"  # the database superuser initdb creates (trust auth, 127.0.0.1 only)


class ServiceError(RuntimeError):
    """A service did not start, or died while starting."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def log_tail(path: Path, chars: int = 4000) -> str:
    """Return the end of a log file (or a note that it is missing)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except FileNotFoundError:
        return f"(no log at {path})"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # members exist but belong to someone else
        return True
    return True


def _signal_group(pgid: int, sig: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def stop_group(proc: subprocess.Popen[bytes], stop_signal: int, grace: float) -> None:
    """Stop ``proc`` and every process of its group; SIGKILL whatever outlives ``grace``."""
    pgid = proc.pid  # start_new_session: the leader's pid is the group id
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            proc.send_signal(stop_signal)
    # The leader handles the signal (it may stop its own children); then the group.
    deadline = time.monotonic() + grace
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    _signal_group(pgid, signal.SIGTERM)
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _group_alive(pgid):
        _signal_group(pgid, signal.SIGKILL)
        while _group_alive(pgid) and time.monotonic() < deadline + 5:
            time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
    proc.wait()


@contextmanager
def process_group(
    cmd: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None,
    log: Path,
    stop_signal: int = signal.SIGTERM,
    grace: float = 10.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``cmd`` in a new session (process group), output to ``log``; always stop it all."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop_group(proc, stop_signal, grace)


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """Whether ``url`` answers GET with a 2xx status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


def wait_until(
    ready: Callable[[], bool],
    proc: subprocess.Popen[bytes],
    *,
    what: str,
    log: Path,
    timeout: float,
) -> None:
    """Poll ``ready()`` until true; fail early (with the log) if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while True:
        if ready():
            return
        if proc.poll() is not None:
            msg = f"{what} exited with {proc.returncode} while starting\n{log_tail(log)}"
            raise ServiceError(msg)
        if time.monotonic() > deadline:
            msg = f"{what} not ready after {timeout:.0f} s\n{log_tail(log)}"
            raise ServiceError(msg)
        time.sleep(0.2)


@dataclass(frozen=True)
class HttpService:
    """A running HTTP service: its base URL, process and log."""

    url: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path


@contextmanager
def http_service(
    cmd: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None,
    port: int,
    health_path: str,
    log: Path,
    timeout: float = 120.0,
    stop_signal: int = signal.SIGTERM,
) -> Iterator[HttpService]:
    """Start an HTTP service listening on ``port``; yield once ``health_path`` answers 2xx."""
    base = f"http://{HOST}:{port}"
    with process_group(cmd, cwd=cwd, env=env, log=log, stop_signal=stop_signal) as proc:
        wait_until(
            lambda: http_ok(base + health_path),
            proc,
            what=" ".join(cmd),
            log=log,
            timeout=timeout,
        )
        yield HttpService(base, port, proc, log)


# --- PostgreSQL -------------------------------------------------------------------------


@dataclass(frozen=True)
class Postgres:
    """A running PostgreSQL server: connect as ``PG_USER`` over TCP, no password."""

    port: int
    datadir: Path
    bindir: Path

    def uri(self, database: str, driver: str = "postgresql+psycopg") -> str:
        """SQLAlchemy URI of ``database`` (MLflow's ``--backend-store-uri``).

        The driver is explicit: SQLAlchemy 2.1 made psycopg 3 the default for a bare
        ``postgresql://``, while older releases default to psycopg2.
        """
        return f"{driver}://{PG_USER}@{HOST}:{self.port}/{database}"

    def psql(self, database: str, sql: str) -> str:
        """Run ``sql`` with psql; return unaligned, tuples-only output."""
        cmd = [
            *self._client("psql"),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            database,
            "-c",
            sql,
        ]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

    def create_database(self, name: str) -> None:
        """Create an empty database."""
        subprocess.run([*self._client("createdb"), name], check=True, capture_output=True)

    def _client(self, tool: str) -> list[str]:
        return [str(self.bindir / tool), "-h", HOST, "-p", str(self.port), "-U", PG_USER]


def _pg_bindir() -> Path:
    for bindir in PG_BIN_DIRS:
        if (bindir / "initdb").is_file() and (bindir / "postgres").is_file():
            return bindir
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    msg = "PostgreSQL server binaries not found (apt-get install postgresql)"
    raise ServiceError(msg)


def _unprivileged_user() -> pwd.struct_passwd | None:
    """The account to run PostgreSQL as: None for a normal user, else postgres or nobody.

    ``initdb`` and ``postgres`` refuse to run as root (CI runs as root).
    """
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    msg = "running as root and neither a 'postgres' nor a 'nobody' account exists"
    raise ServiceError(msg)


def _as_user(cmd: list[str], user: pwd.struct_passwd | None) -> list[str]:
    if user is None:
        return cmd
    # setpriv execs in place (no extra parent process), so signals reach the server.
    return [
        "setpriv",
        f"--reuid={user.pw_uid}",
        f"--regid={user.pw_gid}",
        "--init-groups",
        "--reset-env",
        *cmd,
    ]


@contextmanager
def postgres(databases: Sequence[str] = (), timeout: float = 60.0) -> Iterator[Postgres]:
    """Run a throwaway PostgreSQL server on a free port of 127.0.0.1, with ``databases``.

    The cluster lives in a fresh temporary folder (outside pytest's root-only
    ``tmp_path``, since the server may run as another user) and is deleted on exit.
    The server runs in the foreground in its own process group: on exit it gets
    SIGINT (fast shutdown), then the whole group is killed if it lingers.
    """
    bindir = _pg_bindir()
    user = _unprivileged_user()
    with ExitStack() as stack:
        base = Path(tempfile.mkdtemp(prefix="pg-"))
        stack.callback(shutil.rmtree, base, ignore_errors=True)
        datadir, sockets, log = base / "data", base / "run", base / "postgres.log"
        sockets.mkdir()
        if user is not None:
            os.chown(base, user.pw_uid, user.pw_gid)
            os.chown(sockets, user.pw_uid, user.pw_gid)
        init = subprocess.run(
            _as_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(datadir),
                    "-U",
                    PG_USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-sync",
                ],
                user,
            ),
            cwd=base,
            capture_output=True,
            text=True,
            check=False,
        )
        if init.returncode != 0:
            msg = f"initdb failed ({init.returncode}):\n{init.stdout}\n{init.stderr}"
            raise ServiceError(msg)
        port = free_port()
        server = [
            str(bindir / "postgres"),
            "-D",
            str(datadir),
            "-p",
            str(port),
            "-h",
            HOST,
            "-k",
            str(sockets),
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]
        proc = stack.enter_context(
            process_group(
                _as_user(server, user),
                cwd=base,
                env=None,
                log=log,
                stop_signal=signal.SIGINT,
            )
        )
        pg = Postgres(port, datadir, bindir)

        def accepting() -> bool:
            probe = [str(bindir / "pg_isready"), "-q", "-h", HOST, "-p", str(port), "-U", PG_USER]
            return subprocess.run(probe, check=False).returncode == 0

        wait_until(accepting, proc, what="postgres", log=log, timeout=timeout)
        for database in databases:
            pg.create_database(database)
        yield pg


# --- MLflow tracking server ----------------------------------------------------------------


def mlflow_server_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment for ``mlflow server``: no helper job processes, no telemetry."""
    server_env = {k: v for k, v in env.items() if k not in {"VIRTUAL_ENV", "MLFLOW_TRACKING_URI"}}
    server_env.update(
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false",
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="1",
    )
    return server_env


@contextmanager
def mlflow_server(
    project: Path,
    backend_uri: str,
    artifacts_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    timeout: float = 180.0,
) -> Iterator[HttpService]:
    """Run ``mlflow server`` from ``project``'s environment plus the PostgreSQL driver.

    Artifacts are proxied by the server (``--artifacts-destination``), so clients
    upload through HTTP and never need to see ``artifacts_dir``.
    """
    port = free_port()
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        "uv",
        "run",
        "--frozen",
        "--with",
        PG_DRIVER,
        "mlflow",
        "server",
        "--backend-store-uri",
        backend_uri,
        "--artifacts-destination",
        str(artifacts_dir),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "2",
    ]
    with http_service(
        cmd,
        cwd=project,
        env=mlflow_server_env(env if env is not None else os.environ),
        port=port,
        health_path="/health",
        log=log or project.parent / f"mlflow-server-{port}.log",
        timeout=timeout,
    ) as service:
        yield service


# --- the rendered project's API ------------------------------------------------------------


@contextmanager
def uvicorn_app(
    project: Path,
    env: Mapping[str, str],
    *,
    port: int | None = None,
    make: bool = False,
    log: Path | None = None,
    timeout: float = 120.0,
) -> Iterator[HttpService]:
    """Serve the rendered project's API on 127.0.0.1; yield once ``/ready`` answers 200.

    With ``make=True`` it starts as a user would (``make serve HOST=... PORT=...``),
    otherwise with ``uv run uvicorn`` directly. Either way the process group holds
    make, uv, python and any worker, and all of them are stopped on exit.
    """
    port = port or free_port()
    if make:
        cmd = ["make", "serve", f"HOST={HOST}", f"PORT={port}"]
    else:
        package = package_name(project)
        app = f"{package}.serving.main:app"
        cmd = ["uv", "run", "--frozen", "uvicorn", app, "--host", HOST, "--port", str(port)]
    clean_env = {k: v for k, v in env.items() if k != "VIRTUAL_ENV"}
    with http_service(
        cmd,
        cwd=project,
        env=clean_env,
        port=port,
        health_path="/ready",
        log=log or project.parent / f"api-{port}.log",
        timeout=timeout,
    ) as service:
        yield service


def package_name(project: Path) -> str:
    """The rendered project's import package (the only folder under ``src/``)."""
    (package,) = [p.name for p in (project / "src").iterdir() if (p / "__init__.py").is_file()]
    return package


# --- plain HTTP calls ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """An HTTP answer, whatever its status."""

    status: int
    content_type: str
    text: str

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.text)


def call(
    method: str,
    url: str,
    body: bytes | str | None = None,
    *,
    content_type: str | None = "application/json",
    timeout: float = 30.0,
) -> Reply:
    """Send one HTTP request; return the reply (4xx and 5xx too, never raise on them).

    http.client sends exactly the headers given (urllib would add a form Content-Type).
    """
    parts = urllib.parse.urlsplit(url)
    data = body.encode() if isinstance(body, str) else body
    headers = {"Content-Type": content_type} if content_type and data is not None else {}
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path or "/", body=data, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        return Reply(response.status, response.getheader("Content-Type", ""), text)
    finally:
        connection.close()
