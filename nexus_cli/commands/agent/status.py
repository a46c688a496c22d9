"""``nexus ai agent status NAME``: what serves in each environment, and its health."""

from __future__ import annotations

from typing import Any

from nexus_cli.commands._options import AgentArg, EnvOpt, JsonOpt


def render(status: dict[str, Any]) -> list[str]:
    """The view of an ``AgentStatus`` JSON object (plain text: no Rich needed)."""
    from nexus_cli import output
    from nexus_cli.commands._cells import ago, runtime_line

    parts: list[str] = []
    if not status["environments"]:
        return [f"{status['name']} is not deployed to any environment."]
    for env in status["environments"]:
        replicas = env.get("replicas") or []
        healthy = sum(1 for r in replicas if r["state"] == "healthy")
        parts.append(output.styled(f"{status['name']} · {env['env']}", "bold"))
        res = env.get("resources") or {}
        revision = env.get("revision")
        rows = [
            [
                "version",
                f"{env.get('version') or '-'} (revision {revision})"
                if revision is not None
                else "-",
            ],
            [
                "replicas",
                f"{healthy}/{env['replicas_desired']} healthy"
                + (", autoscale on" if env.get("autoscale") else ""),
            ],
            ["endpoint", env.get("endpoint") or "-"],
            [
                "resources",
                f"cpu {res.get('cpu') or 'default'}, memory {res.get('memory') or 'default'}",
            ],
            ["runtime", runtime_line(env.get("runtime"), env.get("isolation"))],
            ["calls", _calls_line(env)],
            *_network_row(env),
            *_spare_row(env),
            ["identity", env.get("service_account") or "-"],
            *_crash_loop_row(env.get("crash_loop")),
            ["updated", ago(env.get("updated_at"))],
        ]
        parts.append(output.columns(rows, styles={0: lambda key: output.styled(key, "dim")}))
        if env.get("crash_loop") and env["crash_loop"].get("last_log"):
            parts.append(output.styled("last log lines of the replica that went:", "dim"))
            parts.extend("  " + line for line in env["crash_loop"]["last_log"])
        if replicas:
            table = [
                [
                    r["id"][:12] if len(r["id"]) == 64 else r["id"],
                    r["state"],
                    r.get("version") or "-",
                    r.get("endpoint") or "-",
                    str(r.get("in_flight", 0)) + (" busy" if r.get("busy") else ""),
                    *_usage_cells(r.get("usage")),
                    ago(r.get("started_at")),
                ]
                for r in replicas
            ]
            parts.append(
                output.columns(
                    table,
                    [
                        "REPLICA",
                        "STATE",
                        "VERSION",
                        "ENDPOINT",
                        "CALLS",
                        "PIDS",
                        "MEMORY",
                        "STARTED",
                    ],
                    styles={1: _state_style, 5: _pressure_style, 6: _pressure_style},
                )
            )
        parts.append("")
    return parts[:-1]


def _calls_line(env: dict[str, Any]) -> str:
    limit = env.get("max_concurrency") or 0
    attempts = env.get("max_attempts")
    line = f"at most {limit} at once per replica" if limit else "no limit per replica"
    if env.get("queued"):
        line += f", {env['queued']} waiting for a replica"
    return line + (f"; a task runs {attempts} times at most" if attempts else "")


def _mib(size: int | None) -> str:
    return "-" if size is None else f"{size / 2**20:.0f}Mi"


def _usage_cells(usage: dict[str, Any] | None) -> list[str]:
    """PIDS and MEMORY as used/limit; a ``!`` marks one at 90 % of its limit or more."""
    if not usage:
        return ["-", "-"]
    pressure = usage.get("pressure") or []
    pids = f"{usage.get('pids') if usage.get('pids') is not None else '-'}/" + str(
        usage.get("pids_limit") or "-"
    )
    memory = f"{_mib(usage.get('memory_bytes'))}/{_mib(usage.get('memory_limit_bytes'))}"
    return [
        pids + (" !" if "pids" in pressure else ""),
        memory + (" !" if "memory" in pressure else ""),
    ]


def _pressure_style(cell: str) -> str:
    from nexus_cli import output

    return output.styled(cell, "red") if cell.rstrip().endswith("!") else cell


def _network_row(env: dict[str, Any]) -> list[list[str]]:
    network = env.get("network")
    if not network:
        return []
    if network == "public":
        return [["network", "public: the platform endpoint and the internet"]]
    return [["network", f"platform endpoint only ({env.get('egress') or 'enforcement unknown'})"]]


def _spare_row(env: dict[str, Any]) -> list[list[str]]:
    """A session-isolated environment's warm spare (the next new session takes it)."""
    spare = env.get("session_spare")
    if not spare:
        return []
    if spare["state"] != "healthy":
        return [["session spare", spare["state"]]]
    return [["session spare", f"{spare['id'][:12]} ready for the next new session"]]


def _crash_loop_row(loop: dict[str, Any] | None) -> list[list[str]]:
    from nexus_cli import output

    if not loop:
        return []
    said = (
        f"crash-looping: {loop['restarts']} restarts in {loop['window_s']:g} s, "
        f"next in {loop['next_restart_in_s']:g} s"
    )
    return [["health", output.styled(said, "red")]]


def _state_style(state: str) -> str:
    from nexus_cli import output

    return output.styled(state, "green" if state.strip() == "healthy" else "yellow")


def status(
    name: AgentArg,
    env: EnvOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show the version, replicas, endpoint and resources of each environment."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.context import provider

    begin(json_, name, env)
    from nexus_cli import completion

    found = provider(env).status_data(name, env)
    if env is not None and not found["environments"]:  # a provider that answers 200 anyway
        from nexus_cli.commands.agent._common import not_deployed

        every = provider(env).status_data(name, None)["environments"]
        raise not_deployed(name, env, [e["env"] for e in every])
    completion.add_agent(name)
    output.emit(found, render)
