"""docker/compose.yaml through podman: the image, the deployment's keys and secrets, the demo
from a container, a restart under load with nothing acknowledged lost, the HTTP gateway over
HTTPS from the host and from another host (a network namespace made here), and a clean teardown."""
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import COMPOSE_FILE, ROOT, image, make_deployment, podman, registry, sh, wait_for

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load as loadgen  # noqa: E402

PROJECT = "xctest"
SERVICES = ("intake", "referral", "rectify", "notify")
# each service's API port inside its container (docker/deploy.json)
SERVICE_PORT = {"intake": 7110, "referral": 7120, "rectify": 7130, "notify": 7140}


def free_ports(names):
    """A free loopback port for each name, for the published APIs (XC_PORT_<NAME>): drawn at
    random below the kernel's ephemeral range, where no outgoing connection takes one meanwhile,
    and each bound once to see that nothing else holds it (make run's 7110-7141 among others)."""
    with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
        ephemeral = int(f.read().split()[0])
    ports = {}
    for name in names:
        for _ in range(200):
            port = random.randrange(10000, ephemeral)
            if port in ports.values():
                continue
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
            ports[name] = port
            break
        else:
            raise AssertionError(f"no free loopback port for {name} in 10000-{ephemeral}")
    return ports


# host ports for the published APIs and the gateway, chosen once per run
PORTS = free_ports(SERVICES + ("gateway",))
# the gateway is published on the host's end of a veth pair to a namespace made here (another
# host, "gwc"): a /30 that exists only between the two
GW_HOST, GW_CLIENT = "10.232.0.1", "10.232.0.2"
NETNS = os.environ.get("XC_NETNS_PREFIX", "xct-") + "gwc"
VETH = os.environ.get("XC_NETNS_PREFIX", "xct-") + "gw0"
CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gateway_client.py")
PY = os.environ.get("PY", "/usr/bin/python3")


class Compose:
    def __init__(self, deploy):
        self.deploy = deploy
        self.env = dict(os.environ, XC_DEPLOY=deploy, XC_PUBLISH_GATEWAY=GW_HOST,
                        **{f"XC_PORT_{s.upper()}": str(p) for s, p in PORTS.items()})

    def __call__(self, *args, check=True, timeout=180):
        return sh("docker-compose", "-f", COMPOSE_FILE, "-p", PROJECT, *args, check=check,
                  timeout=timeout, env=self.env)

    def xcctl(self, *args, check=True, timeout=120):
        return self("run", "--rm", "-T", "xcctl", *args, check=check, timeout=timeout)

    def xcctl_json(self, *args):
        return json.loads(self.xcctl(*args, "--json").stdout)

    def container(self, service):
        return f"{PROJECT}_{service}_1"


def make_other_host():
    """The namespace NETNS joined to this host by a veth pair: GW_CLIENT there, GW_HOST here."""
    sh("ip", "netns", "add", NETNS)
    sh("ip", "link", "add", VETH, "type", "veth", "peer", "name", "eth0", "netns", NETNS)
    sh("ip", "addr", "add", f"{GW_HOST}/30", "dev", VETH)
    sh("ip", "link", "set", VETH, "up")
    for args in (("addr", "add", f"{GW_CLIENT}/30", "dev", "eth0"), ("link", "set", "eth0", "up"),
                 ("link", "set", "lo", "up")):
        sh("ip", "netns", "exec", NETNS, "ip", *args)


def gateway_tls(folder, deploy):
    """docs/deploy.md's HTTPS: a CA of the test's and the gateway's certificate for GW_HOST,
    the certificate in config/tls/, its key a secret; the CA's path."""
    pki = os.path.join(folder, "pki")
    os.makedirs(pki)
    sh(PY, CLIENT, "pki", "--out", pki, "--ip", GW_HOST, "--ip", "127.0.0.1")
    tls = os.path.join(deploy, "config", "tls")
    os.makedirs(tls)
    shutil.copy(os.path.join(pki, "server.pem"), os.path.join(tls, "gateway.pem"))
    key = os.path.join(deploy, "secrets", "gateway.key")
    shutil.copy(os.path.join(pki, "server.key"), key)
    os.chmod(key, 0o600)
    for path in (tls, os.path.join(tls, "gateway.pem"), key):
        os.chown(path, 10001, 10001)
    return os.path.join(pki, "ca.pem")


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compose")
    os.chown(folder, 10001, 10001)
    compose = Compose(make_deployment(str(folder / "deploy")))
    compose.ca = gateway_tls(str(folder), compose.deploy)
    compose.xcctl("init")
    try:
        make_other_host()
        compose("up", "-d")
        wait_for("every service answering", lambda: compose.xcctl("health", check=False).returncode == 0,
                 seconds=60, step=0.5)
        yield compose
    finally:
        compose("down", "-v", "--remove-orphans", check=False)
        sh("ip", "netns", "del", NETNS, check=False)
    # down leaves no container, volume or network of the project
    label = f"label=com.docker.compose.project={PROJECT}"
    assert podman("ps", "-aq", "--filter", label).stdout.strip() == ""
    assert podman("volume", "ls", "-q", "--filter", label).stdout.strip() == ""
    assert PROJECT not in podman("network", "ls", "--format", "{{.Name}}").stdout


def test_image_runs_as_a_user_without_keys_or_compiler(suite):
    assert podman("image", "inspect", "--format", "{{.Config.User}}", image()).stdout.strip() == "xuncha"
    # no key of any kind baked in, no compiler in the runtime image
    found = podman("run", "--rm", "--entrypoint", "sh", image(), "-c",
                   "find / -xdev \\( -name '*.jwk' -o -name '*.curve' -o -name '*.secret' \\) 2>/dev/null;"
                   " command -v gcc cc make || true; id -u").stdout.split()
    assert found == ["10001"], found


def test_compose_file_is_valid_and_keys_are_private(suite):
    config = suite("config").stdout
    for service in SERVICES + ("gateway",):
        assert f"xc-{service}" in config
    secrets = os.path.join(suite.deploy, "secrets")
    for name in os.listdir(secrets):
        mode = os.stat(os.path.join(secrets, name)).st_mode & 0o777
        assert mode == 0o600, (name, oct(mode))
    # every service's CURVE public key is in the registry (the ZAP handler's list)
    doc = registry(suite.deploy)
    assert {p["iss"] for p in doc["principals"] if p.get("curve")} >= set(SERVICES) | {"office", "gateway"}
    # the gateway: a CURVE key of role gateway (it forwards others' messages), no signing key file
    gateway = next(p for p in doc["principals"] if p["iss"] == "gateway")
    assert gateway["role"] == "gateway", gateway
    assert not os.path.exists(os.path.join(secrets, "gateway.jwk"))


def test_each_container_is_healthy_and_mounts_what_it_should(suite):
    for service in SERVICES:
        name = suite.container(service)
        # exit 0: healthy (xcctl health SERVICE, from inside the container). Right after the
        # start a container's first lookups of the others' names have been seen to take more
        # than the check's 5 s (twice in six runs): it must become healthy, not be at once.
        wait_for(f"{service}'s own healthcheck",
                 lambda: podman("healthcheck", "run", name, check=False).returncode == 0,
                 seconds=60, step=1)
        # its API published on the loopback port picked for this run, and only there
        published = podman("port", name).stdout.split()
        assert published == [f"{SERVICE_PORT[service]}/tcp", "->", f"127.0.0.1:{PORTS[service]}"], published
        mounts = json.loads(podman("inspect", "--format", "{{json .Mounts}}", name).stdout)
        by_dest = {m["Destination"]: m for m in mounts}
        assert by_dest["/etc/xuncha"]["RW"] is False
        assert by_dest["/var/lib/xuncha"]["Type"] == "volume"
        assert f"{PROJECT}_{service}-data" in by_dest["/var/lib/xuncha"]["Name"]
        # its own private keys only, read-only
        keys = sorted(d for d in by_dest if d.startswith("/run/secrets/"))
        assert keys and all(os.path.basename(k).startswith(service) for k in keys), keys
        assert all(by_dest[k]["RW"] is False for k in keys)


def test_demo_from_a_container_gives_the_source_figures(suite):
    suite("run", "--rm", "-T", "--entrypoint", "/usr/local/share/xuncha/demo.sh", "xcctl",
          "/etc/xuncha/deploy.json", timeout=240)
    def settled():
        stats = suite.xcctl_json("stats")
        return stats if stats["rectify"]["overdue_now"] == 2 else None
    stats = wait_for("the school's and the district's town's items overdue", settled, seconds=30, step=1)
    # the demo's story (tools/demo.sh): nine problems over 2017-2026, the rail group's lead with
    # its case, the villages' receivables, six of eight items closed on time (the district
    # office's round of today with one overdue)
    assert stats["intake"]["problems"]["total"] == 9
    assert stats["referral"]["leads"] == 1
    assert stats["referral"]["cases_filed"] == 1
    assert stats["referral"]["reports_signed"] == 1
    rectify = stats["rectify"]
    assert rectify["money_recovered_fen"] == 9657000000
    assert rectify["money_written_off_fen"] == 1261000000
    assert (rectify["completion"]["completed"], rectify["completion"]["items"]) == (6, 8)
    assert (rectify["on_time"]["closed_on_time"], rectify["on_time"]["due"]) == (6, 8)
    # the overdue item was fed back before the day it was loaded: quiet for history_quiet (a
    # day) before its notice (docs/services/rectify.md), so the office has none yet
    assert suite.xcctl_json("notify", "list", "--type", "rectify.overdue")["items"] == []
    suite.xcctl("audit", "verify")


def test_online_backup_while_running(suite):
    """docs/deploy.md's backup: VACUUM INTO from inside the running container, never a copy."""
    suite.xcctl("unit", "register", "--id", "BACKUP-U", "--name", "备份测试单位", "--level", "town")
    head = suite.xcctl_json("health", "intake")[0]["head"]
    assert head > 0
    suite("exec", "-T", "intake", "sqlite3", "/var/lib/xuncha/intake.db",
          "VACUUM INTO '/var/lib/xuncha/intake-backup.db'")
    check = suite("exec", "-T", "intake", "sqlite3", "/var/lib/xuncha/intake-backup.db",
                  "PRAGMA integrity_check; SELECT count(*) FROM outbox;").stdout.split()
    assert check[0] == "ok"
    assert int(check[1]) >= head
    suite("exec", "-T", "intake", "rm", "/var/lib/xuncha/intake-backup.db")


def _stop_seconds(name):
    start = time.monotonic()
    podman("stop", "-t", "5", name)
    return time.monotonic() - start


def test_sigterm_stops_a_service_within_a_second(suite):
    name = suite.container("referral")
    took = _stop_seconds(name)
    podman("start", name)
    assert took < 1.5, f"podman stop took {took:.2f} s"
    logs = podman("logs", "--tail", "20", name).stdout + podman("logs", "--tail", "20", name).stderr
    assert "stopped" in logs
    wait_for("referral answering again", lambda: suite.xcctl("health", "referral", check=False).returncode == 0,
             seconds=30, step=0.5)


def test_a_crashed_service_is_restarted_by_its_policy(suite):
    name = suite.container("rectify")
    before = json.loads(podman("inspect", "--format", "{{json .State}}", name).stdout)
    os.kill(before["Pid"], 9)                    # the service's process, as a crash would end it
    def restarted():
        state = json.loads(podman("inspect", "--format", "{{json .State}}", name).stdout)
        return state if state["Running"] and state["Pid"] != before["Pid"] else None
    wait_for("rectify restarted by unless-stopped", restarted, seconds=30, step=0.5)
    wait_for("rectify answering again", lambda: suite.xcctl("health", "rectify", check=False).returncode == 0,
             seconds=30, step=0.5)


def test_restart_under_load_loses_nothing_acknowledged(suite):
    """problem.report from a team on the host (published port, CURVE) while intake's container
    is restarted and then killed: every acked report is stored exactly once."""
    suite.xcctl("keygen", "--out", "/run/secrets/load-team.jwk", "--kid", "load-team#1", "--curve")
    secrets = os.path.join(suite.deploy, "secrets")
    with open(os.path.join(secrets, "load-team.jwk.curve"), encoding="utf-8") as f:
        team_curve = json.load(f)["public"]
    suite.xcctl("principal", "add", "--iss", "load-team", "--role", "team", "--public",
                "/run/secrets/load-team.jwk.pub", "--curve", team_curve, "--scope", "{}")
    suite.xcctl("unit", "register", "--id", "LOAD-U", "--name", "负载测试单位", "--level", "town")
    day = lambda n: time.strftime("%Y-%m-%d", time.localtime(time.time() + n * 86400))
    suite.xcctl("round", "open", "--id", "R-LOAD", "--name", "负载轮次", "--kind", "regular",
                "--team", "load-team", "--targets", '[{"unit": "LOAD-U", "coverage": "main"}]',
                "--planned-start", day(-10), "--planned-end", day(20), "--date", day(-12))
    suite.xcctl("round", "advance", "--round", "R-LOAD", "--stage", "stationed", "--date", day(-10))
    time.sleep(1.5)                      # the services reload the registry within a second

    doc = registry(suite.deploy)
    reg = loadgen.xcwire.Registry(doc)
    server_key = next(p["curve"] for p in doc["principals"] if p["iss"] == "intake").encode()
    load = loadgen.Load(f"tcp://127.0.0.1:{PORTS['intake']}", "intake", reg,
                        loadgen.signer_from_jwk(os.path.join(secrets, "load-team.jwk")),
                        loadgen.curve_keys(os.path.join(secrets, "load-team.jwk.curve")), server_key)
    count = 600
    template = {"round": "R-LOAD", "unit": "LOAD-U", "category": "governance",
                "summary": "负载 {i}", "detail": "负载测试的问题 {i}", "severity": "general",
                "source": "inspection_team"}
    commands = [("problem.report", loadgen.fill(template, i)) for i in range(count)]
    result = {}
    worker = threading.Thread(target=lambda: result.update(load.run(commands, inflight=16, seconds=90)))
    started = time.monotonic()
    worker.start()
    try:
        wait_for("the load under way", lambda: suite.xcctl_json("health", "intake")[0]["commands"] > 100,
                 seconds=60, step=0.2)
        suite("restart", "-t", "5", "intake")
        restarted = time.monotonic()
        # and once more by a crash: SIGKILL mid-load, brought back by the restart policy
        wait_for("the load going on after the restart",
                 lambda: suite.xcctl_json("health", "intake")[0]["commands"] > 350, seconds=60, step=0.2)
        os.kill(json.loads(podman("inspect", "--format", "{{json .State}}",
                                  suite.container("intake")).stdout)["Pid"], 9)
        killed = time.monotonic()
    finally:
        worker.join(120)
        load.close()
    assert not worker.is_alive()
    acked, refused, unanswered = result["acked"], result["refused"], result["unanswered"]
    duplicates = sum(1 for a in acked.values() if a["status"] == "duplicate")
    print(f"load: sent {result['sent']}, acked {len(acked)} ({duplicates} as duplicates of a "
          f"resend), refused {len(refused)}, unanswered {len(unanswered)}, intake restarted "
          f"{restarted - started:.1f} s and killed {killed - started:.1f} s into the load")
    assert not refused, list(refused.items())[:3]
    assert not unanswered, unanswered[:10]
    assert len(acked) == count

    # every acked report once in intake's chain, with the problem id its ack named
    lines = suite.xcctl("events", "intake", "--json").stdout.splitlines()
    recorded = {}
    for e in map(json.loads, lines):
        problem = e.get("data", {}).get("problem")
        if e["type"] == "problem.recorded" and problem["round"] == "R-LOAD":
            recorded.setdefault(problem["summary"], []).append(problem["id"])
    for i, ack in acked.items():
        assert recorded.get(f"负载 {i}") == [ack["result"]["problem"]], (i, recorded.get(f"负载 {i}"))
    assert sum(len(v) for v in recorded.values()) == count
    suite.xcctl("audit", "verify", "intake")
    # the service really restarted during the load
    logs = podman("logs", suite.container("intake")).stderr
    assert logs.count("serving on") >= 3



def gateway_call(suite, base, unit, netns=None):
    """gateway_client.py's call as office, on this host or inside netns: its JSON."""
    key = os.path.join(suite.deploy, "secrets", "office.jwk")
    args = [PY, CLIENT, "call", "--base", base, "--ca", suite.ca, "--key", key, "--iss", "office",
            "--unit", unit]
    out = sh(*(["ip", "netns", "exec", netns] if netns else []), *args, timeout=90).stdout
    return json.loads(out)


def test_gateway_over_https_from_the_host_and_from_another_host(suite):
    """The gateway's container: HTTPS with the mounted certificate, the services reached over
    CURVE; a signed unit.register from this host and from the namespace host, each reply checked
    with intake's key as /v1/keys gives it (the registry's key); plain HTTP to the port fails."""
    name = suite.container("gateway")
    published = podman("port", name).stdout.split()
    assert published == ["7180/tcp", "->", f"{GW_HOST}:{PORTS['gateway']}"], published
    mounts = {m["Destination"]: m for m in json.loads(podman("inspect", "--format", "{{json .Mounts}}",
                                                               name).stdout)}
    assert mounts["/etc/xuncha"]["RW"] is False
    keys = sorted(d for d in mounts if d.startswith("/run/secrets/"))
    # its CURVE key, its TLS key, and the public principal's signing key (码上巡)
    assert keys == ["/run/secrets/gateway.curve", "/run/secrets/gateway.key", "/run/secrets/public.jwk"], keys
    wait_for("the gateway's own healthcheck",
             lambda: podman("healthcheck", "run", name, check=False).returncode == 0, seconds=60, step=1)

    base = f"https://{GW_HOST}:{PORTS['gateway']}"
    intake_key = next(p for p in registry(suite.deploy)["principals"] if p["iss"] == "intake")["keys"]
    # from the host; the first call may come while the gateway still connects: retried
    here = wait_for("a signed POST through the gateway from the host",
                    lambda: gateway_call(suite, base, "GW-TLS-HOST"), seconds=60, step=1)
    there = gateway_call(suite, base, "GW-TLS-NETNS", netns=NETNS)
    for got, unit in ((here, "GW-TLS-HOST"), (there, "GW-TLS-NETNS")):
        assert got["status"] == 200, got
        assert got["reply"]["type"] == "ack", got
        assert got["reply"]["data"] == {"status": "accepted", "result": {"unit": unit}}, got
        served = {k["kid"]: k["x"] for k in got["keys"]["keys"] if k["iss"] == "intake"}
        assert served == {k["kid"]: k["x"] for k in intake_key}, (served, intake_key)
    # stored by intake: both units, once each
    lines = suite.xcctl("events", "intake", "--json").stdout.splitlines()
    registered = [e["data"]["unit"]["id"] for e in map(json.loads, lines)
                  if e["type"] == "unit.registered" and e["data"]["unit"]["id"].startswith("GW-TLS-")]
    assert sorted(registered) == ["GW-TLS-HOST", "GW-TLS-NETNS"], registered

    # plain HTTP to the HTTPS port, from the other host: no HTTP answer
    plain = json.loads(sh("ip", "netns", "exec", NETNS, PY, CLIENT, "plain", "--address",
                          f"{GW_HOST}:{PORTS['gateway']}", timeout=90).stdout)
    assert plain["answered"] is False, plain
