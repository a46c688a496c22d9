"""The settings object, the deploy spec on the wire, and the rule that sizes a deploy."""

from __future__ import annotations

from pathlib import Path

import pytest

from nexus.ai.spec import Cpu, Memory, SpecError
from nexus.settings import HomePaths, Settings, SettingsError
from nexus_api.deploy import DeploySpec, Size, Sizing, env_defaults, resolve


def test_settings_read_the_environment_given() -> None:
    s = Settings.load(
        {"NEXUS_HOME": "/tmp/h", "NEXUS_EMULATOR_PORT": "9001", "NEXUS_KEYRING": "off"}
    )
    assert (s.home, s.emulator_port, s.keyring) == (Path("/tmp/h"), 9001, False)
    assert s.paths == HomePaths(Path("/tmp/h"))
    assert s.paths.token == Path("/tmp/h/token")
    default = Settings.load({"XDG_DATA_HOME": "/x"})
    assert default.home == Path("/x/nexus")
    assert default.replica_timeout == 60.0
    assert default.max_body == 8 * 2**20
    assert Settings.load({"NEXUS_MAX_BODY": "1000"}).max_body == 1000


def test_opentelemetrys_own_names_when_nexus_ones_are_unset() -> None:
    otel = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
        "OTEL_EXPORTER_OTLP_HEADERS": "api-key=abc",
    }
    s = Settings.load(otel)
    assert (s.otlp_endpoint, s.otlp_headers) == ("http://collector:4318", "api-key=abc")
    ours = Settings.load({**otel, "NEXUS_OTLP_ENDPOINT": "http://ours:4318"})
    assert (ours.otlp_endpoint, ours.otlp_headers) == ("http://ours:4318", "api-key=abc")
    grpc = Settings.load({"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"})  # not ours to refuse
    assert grpc.otlp_endpoint is None
    assert Settings.load({}).otlp_endpoint is None


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("NEXUS_EMULATOR_PORT", "http", "NEXUS_EMULATOR_PORT='http' is not a port number"),
        ("NEXUS_EMULATOR_PORT", "70000", "NEXUS_EMULATOR_PORT='70000' is not a port number"),
        ("NEXUS_REPLICA_TIMEOUT", "soon", "NEXUS_REPLICA_TIMEOUT='soon' is not a number"),
        ("NEXUS_MAX_BODY", "10MB", "NEXUS_MAX_BODY='10MB' is not a positive whole number"),
        ("NEXUS_MAX_BODY", "0", "NEXUS_MAX_BODY='0' is not a positive whole number"),
        ("NEXUS_OTLP_ENDPOINT", "collector:4318", "NEXUS_OTLP_ENDPOINT='collector:4318' is not"),
        ("NEXUS_OTLP_HEADERS", "Bearer abc", "NEXUS_OTLP_HEADERS='Bearer abc' is not name=value"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.load({variable: value})
    assert err.value.message.startswith(message)
    assert err.value.hint


def test_limits_on_the_wire_are_text_next_to_numbers() -> None:
    spec = DeploySpec.model_validate({"env": "staging", "cpu": "500m", "memory": {"text": "1Gi"}})
    assert spec.cpu == Cpu("500m", 500_000_000)
    assert spec.memory == Memory("1Gi", 2**30)
    wire = spec.model_dump(mode="json", exclude_none=True)
    assert wire["cpu"] == {"text": "500m", "nano_cpus": 500_000_000}
    assert DeploySpec.model_validate(wire) == spec
    with pytest.raises(SpecError, match="500000000 nano_cpus, not 1"):
        DeploySpec.of(env="staging", cpu={"text": "500m", "nano_cpus": 1})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"env": "production", "replicas": 11}, "11 replicas is out of bounds for production"),
        ({"env": "prod"}, "unknown environment 'prod'"),
        ({"cpu": "lots"}, "invalid CPU value 'lots'"),
        (
            {"env": "development", "declared": {"replicas": 2}},
            "nexus.toml [environments.development]: 2 replicas is out of bounds",
        ),
    ],
)
def test_a_broken_rule_is_its_own_error(fields: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError) as err:
        DeploySpec.of(**fields)
    assert err.value.message.startswith(message)


def size(replicas: int, cpu: str = "1000m", memory: str = "512Mi") -> Size:
    return Size(replicas, Cpu.parse(cpu), Memory.parse(memory))


def test_resolve_first_deploy_takes_flag_then_toml_then_defaults() -> None:
    assert resolve(DeploySpec(env="production"), None, None) == env_defaults("production")
    assert env_defaults("production") == size(2)
    toml = Sizing(replicas=3, cpu=Cpu.parse("2"))
    assert resolve(DeploySpec(env="staging", declared=toml), None, None) == size(3, "2")
    flag = DeploySpec(env="staging", replicas=2, declared=toml)
    assert resolve(flag, None, None) == size(2, "2")


def test_resolve_redeploy_keeps_what_serves_unless_told() -> None:
    toml = Sizing(replicas=1, cpu=Cpu.parse("1000m"))
    serving = size(3, "500m")  # scaled to 3, deployed once with --cpu 500m
    same = DeploySpec(env="staging", declared=toml)
    assert resolve(same, serving, toml) == serving
    # a changed nexus.toml value applies; the unchanged one does not
    changed = DeploySpec(env="staging", declared=Sizing(replicas=2, cpu=Cpu.parse("1000m")))
    assert resolve(changed, serving, toml) == size(2, "500m")
    # a flag always wins
    flagged = DeploySpec(env="staging", replicas=1, declared=toml)
    assert resolve(flagged, serving, toml) == size(1, "500m")
    # no record of an earlier nexus.toml (an older deployment): what serves stays
    assert resolve(same, serving, None) == serving


def test_calls_per_replica_and_task_attempts_resolve_as_sizes_do(tmp_path: Path) -> None:
    from nexus.ai.project import ProjectFileError, load_project

    (tmp_path / "nexus.toml").write_text(
        '[agent]\nname = "a"\nentrypoint = "agent:A"\nmax_concurrency = 4\nmax_attempts = 2\n'
        "[environments.production]\nmax_concurrency = 8\n"
    )
    project = load_project(tmp_path)
    assert (project.max_concurrency, project.max_attempts) == (4, 2)
    assert project.environments["production"].max_concurrency == 8
    assert project.environments["production"].max_attempts is None

    toml = Sizing(max_concurrency=4, max_attempts=2)
    first = resolve(DeploySpec(env="staging", declared=toml), None, None)
    assert (first.max_concurrency, first.max_attempts) == (4, 2)
    flag = resolve(DeploySpec(env="staging", max_concurrency=0, declared=toml), first, toml)
    assert (flag.max_concurrency, flag.max_attempts) == (0, 2)  # 0: no limit, asked for
    assert resolve(DeploySpec(env="staging"), None, None).max_attempts is None  # the default

    (tmp_path / "nexus.toml").write_text(
        '[agent]\nname = "a"\nentrypoint = "agent:A"\n\n[environments.staging]\nmax_attempts = 0\n'
    )
    with pytest.raises(ProjectFileError) as caught:
        load_project(tmp_path)
    assert caught.value.message.endswith(
        ":6: [environments.staging] max_attempts 0 is out of bounds: use 1 to 20"
    )


def test_the_project_file_reader_is_still_reachable_from_its_old_module() -> None:
    import nexus.ai.project as project
    import nexus.ai.spec as spec

    for name in ("load_project", "read_project", "Project", "ProjectFileError", "PROJECT_FILE"):
        assert getattr(spec, name) is getattr(project, name)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        spec.nope  # noqa: B018


def test_the_configuration_reference_is_still_reachable_from_nexus_settings() -> None:
    import nexus.home
    import nexus.settings
    import nexus.settings_reference

    assert nexus.settings.reference is nexus.settings_reference.reference
    assert nexus.settings.HomePaths is nexus.home.HomePaths
    assert "| `NEXUS_HOME` |" in nexus.settings.reference()
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        nexus.settings.nope  # noqa: B018
