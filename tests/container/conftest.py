"""Shared parts of the container tests (tests/container/run.sh sets up podman and the image).

A deployment here is a folder like the one docs/deploy.md tells an operator to make: config/
(deploy.json and the registry, mounted read-only into the services) and secrets/ (private keys,
mode 0600), both owned by the image's user (uid 10001).
"""
import json
import os
import shutil
import subprocess
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COMPOSE_FILE = os.path.join(ROOT, "docker", "compose.yaml")
IMAGE_UID = 10001


def pytest_configure(config):
    for name in ("XC_IMAGE", "DOCKER_HOST", "CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF"):
        if not os.environ.get(name):
            raise pytest.UsageError(f"{name} is not set: run these tests with make container-test")


def sh(*args, check=True, timeout=120, env=None, input=None):
    """Runs a command; its completed process (text). Fails the test with its output."""
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                       env=env, input=input)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {p.returncode}\n"
                             f"stdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}")
    return p


def podman(*args, **kw):
    return sh("podman", *args, **kw)


def image():
    return os.environ["XC_IMAGE"]


def make_deployment(folder, edit=None):
    """A deployment folder from docker/deploy.json; edit(doc) may change the config first."""
    config, secrets = os.path.join(folder, "config"), os.path.join(folder, "secrets")
    os.makedirs(config)
    os.makedirs(secrets)
    with open(os.path.join(ROOT, "docker", "deploy.json"), encoding="utf-8") as f:
        doc = json.load(f)
    if edit:
        edit(doc)
    with open(os.path.join(config, "deploy.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=2)
    for path in (folder, config, secrets, os.path.join(config, "deploy.json")):
        os.chown(path, IMAGE_UID, IMAGE_UID)
    os.chmod(secrets, 0o700)
    return folder


def registry(folder):
    with open(os.path.join(folder, "config", "principals.json"), encoding="utf-8") as f:
        return json.load(f)


def wait_for(what, check, seconds=30.0, step=0.2):
    """Polls check() until it returns something true; fails naming what it waited for."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (AssertionError, subprocess.TimeoutExpired, json.JSONDecodeError) as e:
            last = e
        time.sleep(step)
    raise AssertionError(f"{what}: not within {seconds} s (last: {str(last)[-2000:]})")


@pytest.fixture
def scratch(tmp_path):
    """A folder the image's user may write into, removed afterwards."""
    folder = tmp_path / "xc"
    folder.mkdir()
    os.chown(folder, IMAGE_UID, IMAGE_UID)
    yield str(folder)
    shutil.rmtree(folder, ignore_errors=True)
