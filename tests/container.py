"""Build and run a rendered project's Dockerfile, unchanged, with podman and no registry.

Image registries are unreachable here, so every base image the Dockerfile names is
replaced by a local *stand-in* made on this machine, and the build never pulls:

- ``python:3.X-slim-trixie`` (``docker.io/library/...``): a Debian trixie ``debootstrap``
  (minbase, plus the shared libraries CPython links against) with this machine's pyenv
  CPython of the same minor version copied into ``/usr/local``, imported with
  ``podman import`` under the exact name the Dockerfile uses. Made once per machine
  (``podman image exists``), ~1.5 min.
- ``ghcr.io/astral-sh/uv:X@sha256:...``: a digest a local image can never have, so the
  build gets ``--build-context <that reference>=docker-image://<stand-in>``: an image
  holding ``/uv`` and ``/uvx`` of exactly version X, installed from PyPI.

``build_image`` builds the way docker would (``--format docker`` keeps HEALTHCHECK,
which the OCI format drops), with chroot isolation, ``--pull=never``, and this host's CA
bundle mounted over the image's for the build's ``uv sync`` (plus a system uv.toml that
turns on ``system-certs``): neither is written into the image. ``run_container`` runs an
image the way the ECS task definition does: read-only root, ``/tmp`` the only tmpfs,
no capabilities, no-new-privileges, runc, explicit ulimits, the host's network.

Used by the container tier (tests/test_container.py) and reusable by anything else that
needs the rendered image (the CI workflow's image job).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")  # Debian's path, host and image alike
SUITE = "trixie"  # the Debian release the Dockerfile's `-slim-trixie` tags are built on
# What CPython from pyenv needs at run time beyond minbase (the official slim image's set:
# TLS, sqlite3, ctypes, compression, readline, uuid, expat), plus CA certificates, tzdata.
RUNTIME_PACKAGES = [
    "ca-certificates",
    "netbase",
    "tzdata",
    "libssl3t64",
    "libsqlite3-0",
    "libffi8",
    "libbz2-1.0",
    "liblzma5",
    "zlib1g",
    "libreadline8t64",
    "libncursesw6",
    "libuuid1",
    "libexpat1",
    "libnsl2",
    "libtirpc3t64",
]
# Parts of a pyenv install a slim image does not ship (tests, IDLE, Tk, the static library).
PYTHON_SKIP = {"test", "idlelib", "tkinter", "turtledemo", "__pycache__", "lib2to3", "*.a"}
# What Debian's slim images leave out of /usr/share (dpkg path-exclude), left out here too.
SLIM_EXCLUDED = ("doc", "man", "info", "locale")
STAND_IN_REPO = "localhost/stand-in"  # where the images given by --build-context live
# Containers run here with runc and explicit ulimits (shared/TOOLING.md): without them
# runc fails to apply the inherited limits ("error setting rlimit type 7").
RUNTIME = ["--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
PODMAN_RUN = [  # as the ECS task definition and Cloud Run run the service
    *RUNTIME,
    "--read-only",
    "--read-only-tmpfs=false",  # podman would add /run, /var/tmp... : /tmp only, as ECS
    "--tmpfs",
    "/tmp:rw,nosuid,nodev,exec,mode=1777",
    "--cap-drop=ALL",
    "--security-opt",
    "no-new-privileges",
    "--network",
    "host",
]
HOST_PORT_LOCK = Path(tempfile.gettempdir()) / "mlops-template-container-8000.lock"
_FROM = re.compile(r"^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*$", re.IGNORECASE)
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


class ContainerError(AssertionError):
    """A podman/debootstrap step failed; the message holds its output."""


def run(cmd: Sequence[str], *, timeout: float = 1800, **kwargs: object) -> str:
    """Run ``cmd``; return stdout, or raise ContainerError with the output's tail."""
    proc = subprocess.run(
        list(cmd), capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )
    if proc.returncode != 0:
        msg = (
            f"`{' '.join(cmd)}` exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-6000:]}"
        )
        raise ContainerError(msg)
    return proc.stdout


def cache_dir() -> Path:
    """Where stand-in ingredients are kept between runs (the uv binaries)."""
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    path = base / "mlops-template" / "container"
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- the Dockerfile's base images -----------------------------------------------------------


def base_images(dockerfile: Path) -> list[str]:
    """The image references of the Dockerfile's FROM lines (not stages, not scratch)."""
    stages: set[str] = set()
    images: list[str] = []
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        found = _FROM.match(line.strip())
        if not found:
            continue
        ref, alias = found.group(1), found.group(2)
        if ref != "scratch" and ref not in stages and ref not in images:
            images.append(ref)
        if alias:
            stages.add(alias)
    return images


def qualified(ref: str) -> str:
    """A short Docker Hub name as podman stores it (``python:3.12`` -> docker.io/library/...)."""
    first = ref.split("/", 1)[0]
    if "/" in ref and ("." in first or ":" in first or first == "localhost"):
        return ref
    return f"docker.io/{ref}" if "/" in ref else f"docker.io/library/{ref}"


def image_exists(name: str) -> bool:
    """Whether podman's local store holds ``name``."""
    return subprocess.run(["podman", "image", "exists", name], check=False).returncode == 0


def ensure_stand_in_images(dockerfile: Path) -> dict[str, str]:
    """Make a local stand-in for each base image of ``dockerfile``.

    Returns the ``--build-context`` arguments the build needs (reference -> source) for
    the references a local image cannot answer to (pinned by digest).
    """
    contexts: dict[str, str] = {}
    for ref in base_images(dockerfile):
        name = ref.split("@", 1)[0]
        repo = name.rsplit(":", 1)[0]
        if repo.endswith("/python") or repo == "python":
            ensure_python_image(qualified(ref))
        elif repo.endswith("astral-sh/uv"):
            version = name.rsplit(":", 1)[1]
            local = ensure_uv_image(version)
            if _DIGEST.search(ref):
                contexts[ref] = f"docker-image://{local}"
            elif not image_exists(qualified(ref)):
                run(["podman", "tag", local, qualified(ref)])
        else:
            msg = f"no stand-in recipe for base image {ref!r} of {dockerfile}"
            raise ContainerError(msg)
    return contexts


@contextmanager
def _machine_lock(name: str) -> Iterator[None]:
    """Serialise a one-per-machine step across processes (pytest workers, helpers)."""
    with (Path(tempfile.gettempdir()) / f"mlops-template-{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def python_prefix(minor: str) -> Path:
    """The installation prefix of this machine's CPython ``minor`` (e.g. "3.12")."""
    found = run(["uv", "python", "find", "--no-python-downloads", minor]).strip()
    code = "import sys; print(sys.base_prefix)"
    return Path(run([found, "-c", code]).strip())


def _copy_python(prefix: Path, dest: Path, minor: str) -> None:
    """Copy a CPython install into ``dest`` (an image's /usr/local), slimmed as slim is."""
    ignore = shutil.ignore_patterns(*PYTHON_SKIP)
    for sub in ("include", "lib"):
        shutil.copytree(prefix / sub, dest / sub, symlinks=True, ignore=ignore, dirs_exist_ok=True)
    # the site-packages of this machine's install hold tools; the image gets pip alone
    site = dest / "lib" / f"python{minor}" / "site-packages"
    for entry in site.iterdir():
        if not entry.name.lower().startswith("pip"):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    (dest / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(prefix / "bin" / f"python{minor}", dest / "bin" / f"python{minor}")
    for alias in ("python3", "python"):
        (dest / "bin" / alias).symlink_to(f"python{minor}")


def ensure_python_image(name: str) -> str:
    """Make ``name`` (``docker.io/library/python:3.X-slim-trixie``) unless it exists."""
    with _machine_lock("python-stand-in"):
        if image_exists(name):
            return name
        found = re.search(r":(3\.\d+)-slim-(\w+)$", name)
        if not found or found.group(2) != SUITE:
            msg = f"cannot make a stand-in for {name}: expected python:3.X-slim-{SUITE}"
            raise ContainerError(msg)
        minor = found.group(1)
        prefix = python_prefix(minor)
        with tempfile.TemporaryDirectory(prefix="stand-in-python-") as tmp:
            rootfs = Path(tmp) / "rootfs"
            # debootstrap's default mirror: Debian's package registry, reachable here
            run(
                [
                    "debootstrap",
                    "--variant=minbase",
                    f"--include={','.join(RUNTIME_PACKAGES)}",
                    SUITE,
                    str(rootfs),
                ],
                timeout=1800,
            )
            for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
                for entry in (rootfs / cache).glob("*"):
                    if entry.is_file():
                        entry.unlink()
            for folder in SLIM_EXCLUDED:
                shutil.rmtree(rootfs / "usr" / "share" / folder, ignore_errors=True)
            _copy_python(prefix, rootfs / "usr" / "local", minor)
            run(["chroot", str(rootfs), "ldconfig"])  # libpython in /usr/local/lib
            probe = "import ssl, sqlite3, ctypes, lzma, bz2, zlib, uuid, readline, pyexpat"
            run(["chroot", str(rootfs), "/usr/local/bin/python3", "-c", probe])
            changes = [
                "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
                "ENV LANG=C.UTF-8",
                f"ENV PYTHON_VERSION={prefix.name}",
                'CMD ["python3"]',
            ]
            tar = Path(tmp) / "rootfs.tar"
            run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(tar), "."])
            args = [arg for change in changes for arg in ("--change", change)]
            run(["podman", "import", *args, str(tar), name])
    return name


def uv_binary_dir(version: str) -> Path:
    """A folder holding ``uv`` and ``uvx`` of exactly ``version`` (from PyPI, cached)."""
    target = cache_dir() / f"uv-{version}"
    if not (target / "bin" / "uv").is_file():
        tmp = Path(tempfile.mkdtemp(prefix=f"uv-{version}-", dir=cache_dir()))
        run(["uv", "pip", "install", "--no-deps", "--target", str(tmp), f"uv=={version}"])
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    got = run([str(target / "bin" / "uv"), "--version"]).split()[1]
    if got != version:
        msg = f"uv from PyPI says {got}, wanted {version}"
        raise ContainerError(msg)
    return target / "bin"


def ensure_uv_image(version: str) -> str:
    """A local image laid out as ghcr.io/astral-sh/uv is (``/uv``, ``/uvx``); its name."""
    name = f"{STAND_IN_REPO}/uv:{version}"
    with _machine_lock("uv-stand-in"):
        if image_exists(name):
            return name
        bindir = uv_binary_dir(version)
        with tempfile.TemporaryDirectory(prefix="stand-in-uv-") as tmp:
            tar = Path(tmp) / "uv.tar"
            with tarfile.open(tar, "w") as archive:
                for tool in ("uv", "uvx"):
                    archive.add(bindir / tool, arcname=tool)
            run(["podman", "import", str(tar), name])
    return name


# --- build ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Build:
    """A built image: its tag, how long the build took, and its size in bytes."""

    tag: str
    seconds: float
    size: int


@contextmanager
def build_flags(
    project_dir: Path,
    *,
    dockerfile: str = "Dockerfile",
    build_contexts: Mapping[str, str] | None = None,
) -> Iterator[list[str]]:
    """The ``podman build`` flags that build ``dockerfile`` here, valid inside the block.

    Makes the stand-in base images first. ``build_contexts`` adds ``--build-context``
    pairs (e.g. ``model=models``); the stand-ins' are added here. Shared by
    :func:`build_image` and the CI workflow's image job under act (tests/act.py).
    """
    contexts = ensure_stand_in_images(project_dir / dockerfile)
    contexts.update(build_contexts or {})
    with tempfile.TemporaryDirectory(prefix="uv-config-") as tmp:
        # uv trusts only its bundled roots unless told to use the system's (the mounted bundle)
        uv_toml = Path(tmp) / "uv.toml"
        uv_toml.write_text("system-certs = true\n", encoding="utf-8")
        yield [
            "--isolation",
            "chroot",
            "--pull=never",
            "--format",
            "docker",
            "--ulimit",
            "nofile=1024:1024",
            "--volume",
            f"{CA_BUNDLE}:{CA_BUNDLE}:ro",
            "--volume",
            f"{uv_toml}:/etc/uv/uv.toml:ro",
            *[arg for item in contexts.items() for arg in ("--build-context", "=".join(item))],
        ]


def build_image(
    project_dir: Path,
    tag: str,
    *,
    dockerfile: str = "Dockerfile",
    build_contexts: Mapping[str, str] | None = None,
    timeout: float = 1800,
) -> Build:
    """Build ``project_dir/dockerfile`` as ``tag`` with podman, from local stand-ins only.

    ``build_contexts`` adds ``--build-context`` pairs (e.g. ``model=models`` to bake a
    model folder in, as the Dockerfile documents); the stand-ins' are added here.
    """
    flags = build_flags(project_dir, dockerfile=dockerfile, build_contexts=build_contexts)
    with flags as podman_flags:
        cmd = [
            "podman",
            "build",
            *podman_flags,
            "--file",
            str(project_dir / dockerfile),
            "--tag",
            tag,
            str(project_dir),
        ]
        started = time.perf_counter()
        run(cmd, timeout=timeout)
        seconds = time.perf_counter() - started
    return Build(tag, seconds, int(inspect_image(tag)["Size"]))


def inspect_image(tag: str) -> dict:
    """``podman image inspect`` of ``tag`` (Config, Size, ...)."""
    return json.loads(run(["podman", "image", "inspect", tag]))[0]


# --- run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Container:
    """A running container: its name and image."""

    name: str
    image: str

    def exec(self, *cmd: str, timeout: float = 120) -> str:
        """Run ``cmd`` inside the container (as its user); return stdout."""
        return run(["podman", "exec", self.name, *cmd], timeout=timeout)

    def logs(self) -> str:
        """The container's output so far (stdout and stderr)."""
        proc = subprocess.run(
            ["podman", "logs", self.name], capture_output=True, text=True, check=False
        )
        return proc.stdout + proc.stderr

    def healthcheck(self) -> subprocess.CompletedProcess[str]:
        """Run the image's HEALTHCHECK once (``podman healthcheck run``)."""
        return subprocess.run(
            ["podman", "healthcheck", "run", self.name],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def running(self) -> bool:
        """Whether the container is still up."""
        out = subprocess.run(
            ["podman", "inspect", "--format", "{{.State.Running}}", self.name],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.strip() == "true"


def run_once(image: str, *cmd: str, timeout: float = 300) -> str:
    """Run ``cmd`` in a throwaway container of ``image`` with no network; return stdout."""
    cmd = ["podman", "run", "--rm", "--network", "none", *RUNTIME, image, *cmd]
    return run(cmd, timeout=timeout)


@contextmanager
def run_container(
    image: str,
    *,
    env: Mapping[str, str] | None = None,
    volumes: Sequence[str] = (),
    extra_args: Sequence[str] = (),
    port: int = 8000,
) -> Iterator[Container]:
    """Run ``image`` detached, as production does (see ``PODMAN_RUN``); remove it on exit.

    The container shares the host's network, so it reaches services on 127.0.0.1 and
    serves on the host's ``port`` (its CMD's, 8000): one such container at a time per
    machine, under a lock file, and only if nothing else listens there already.
    """
    name = f"mlops-test-{os.getpid()}-{time.monotonic_ns()}"
    env_args = [arg for key, value in (env or {}).items() for arg in ("--env", f"{key}={value}")]
    vol_args = [arg for volume in volumes for arg in ("--volume", volume)]
    with HOST_PORT_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    msg = f"port {port} is taken on this machine: the container would not get it"
                    raise ContainerError(msg)
            run(
                [
                    "podman",
                    "run",
                    "--detach",
                    "--name",
                    name,
                    *PODMAN_RUN,
                    *env_args,
                    *vol_args,
                    *extra_args,
                    image,
                ]
            )
            try:
                yield Container(name, image)
            finally:
                subprocess.run(
                    ["podman", "rm", "--force", "--time", "10", name],
                    capture_output=True,
                    check=False,
                )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def wait_for_http(url: str, container: Container, timeout: float = 180) -> None:
    """Poll ``url`` until it answers 2xx; fail early, with the logs, if the container exits."""
    from tests.services import http_ok  # one HTTP probe for every tier

    deadline = time.monotonic() + timeout
    while not http_ok(url):
        if not container.running():
            msg = f"container {container.name} exited while starting\n{container.logs()[-6000:]}"
            raise ContainerError(msg)
        if time.monotonic() > deadline:
            msg = f"{url} not ready after {timeout:.0f} s\n{container.logs()[-6000:]}"
            raise ContainerError(msg)
        time.sleep(0.5)


if __name__ == "__main__":  # make the stand-ins for a Dockerfile: python -m tests.container FILE
    print(ensure_stand_in_images(Path(sys.argv[1])))
