"""The front's service spec in each publish mode (the ingress mesh cannot answer here)."""

from __future__ import annotations

import pytest
from nexus_swarm.spec import front_service

SCRIPTS = [("id1", "nexus-a-front-1", "front.py"), ("id2", "nexus-a-fronttasks-2", "fronttasks.py")]


def test_host_mode_is_the_default() -> None:
    spec = front_service("a", "staging", "img", "net", SCRIPTS)
    assert spec["endpoint_spec"] == {
        "Mode": "dnsrr",
        "Ports": [{"Protocol": "tcp", "TargetPort": 8080, "PublishMode": "host"}],
    }


def test_ingress_mode_publishes_through_the_mesh_on_a_virtual_ip() -> None:
    spec = front_service("a", "staging", "img", "net", SCRIPTS, publish="ingress")
    assert spec["endpoint_spec"] == {
        "Mode": "vip",
        "Ports": [{"Protocol": "tcp", "TargetPort": 8080, "PublishMode": "ingress"}],
    }
    container = spec["task_template"]["ContainerSpec"]
    assert [c["File"]["Name"] for c in container["Configs"]] == [
        "/opt/nexus-front/front.py",
        "/opt/nexus-front/fronttasks.py",
    ]
    assert {"NEXUS_AGENT=a", "NEXUS_ENV=staging"} <= set(container["Env"])
    assert (container["User"], container["ReadOnly"]) == ("10001:10001", True)


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="publish mode 'mesh'"):
        front_service("a", "staging", "img", "net", SCRIPTS, publish="mesh")


def test_the_front_keeps_its_tasks_on_a_volume_and_gets_the_signing_secret() -> None:
    spec = front_service("a", "staging", "img", "net", SCRIPTS, signing=("sid", "nexus-a-wh-1"))
    container = spec["task_template"]["ContainerSpec"]
    volume = container["Mounts"][-1]
    assert (volume["Type"], volume["Source"], volume["Target"]) == (
        "volume",
        "nexus-a-staging-front-state",
        "/var/tmp",
    )
    assert volume["VolumeOptions"]["Labels"]["dev.nexus.role"] == "state"
    assert "NEXUS_FRONT_STATE=/var/tmp" in container["Env"]
    (secret,) = container["Secrets"]
    assert (secret["SecretID"], secret["File"]["Mode"]) == ("sid", 0o400)
    assert f"NEXUS_WEBHOOK_SECRETS={secret['File']['Name']}" in container["Env"]
