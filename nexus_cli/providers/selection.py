"""Which provider a command uses, with which options: flag, profile, project mapping.

In order: ``--provider`` / ``NEXUS_PROVIDER``; else the environment's
``provider`` in the project's nexus.toml (``[environments.production]
provider = "swarm"``, a provider or a profile name); else the profile
(``--profile`` / ``NEXUS_PROFILE`` / ``nexus ai profile use``); else
``local``. A profile's options go with its provider. Profiles live in
``profiles.json`` of the CLI's config directory (``NEXUS_CONFIG_DIR``);
they hold settings, never credentials.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexus_cli.errors import UsageError

DEFAULT = "local"


@dataclass
class Profile:
    name: str
    provider: str
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class Profiles:
    path: Path
    current: str | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)

    def get(self, name: str) -> Profile:
        found = self.profiles.get(name)
        if found is None:
            known = ", ".join(sorted(self.profiles)) or "none yet"
            raise UsageError(
                f"unknown profile {name!r} (profiles: {known})",
                hint="nexus ai profile create NAME --provider PROVIDER [--option KEY=VALUE]",
            )
        return found

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "current": self.current,
            "profiles": {
                p.name: {"provider": p.provider, "options": p.options}
                for p in sorted(self.profiles.values(), key=lambda p: p.name)
            },
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.path)


def config_dir() -> Path:
    from nexus_cli.providers.registry import settings

    raw = settings().config_dir
    if raw:
        return Path(raw).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("nexus"))


def load() -> Profiles:
    path = config_dir() / "profiles.json"
    if not path.is_file():
        return Profiles(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        profiles = {
            name: Profile(name, str(p["provider"]), {k: str(v) for k, v in p["options"].items()})
            for name, p in data.get("profiles", {}).items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(
            f"cannot read the profiles in {path}: {exc}",
            hint="fix or remove the file; profiles are recreated with nexus ai profile create",
        ) from None
    return Profiles(path, data.get("current"), profiles)


def mapped(project_dir: Path | None, env: str | None) -> str | None:
    """The ``provider`` of ``[environments.<env>]`` in the project's nexus.toml, if any."""
    if env is None:
        return None
    from nexus.ai.project import read_project

    path = (project_dir or Path.cwd()) / "nexus.toml"
    try:
        _text, data = read_project(path)  # the deploy's own read, when it made one
    except (OSError, ValueError):
        return None  # no project here, or one the command itself reports
    value = data.get("environments", {}).get(env, {}).get("provider")
    return str(value) if isinstance(value, str) and value.strip() else None


def choose(
    flag: str | None, profile: str | None, env: str | None, project_dir: Path | None = None
) -> tuple[str, dict[str, Any], str]:
    """(provider name, its options, why it was chosen)."""
    store = load()
    chosen = store.get(profile) if profile else None
    if chosen is None and store.current in store.profiles:
        chosen = store.profiles[store.current]
    if flag:
        name, why = flag, "--provider / NEXUS_PROVIDER"
    elif (target := mapped(project_dir, env)) is not None:
        if target in store.profiles:
            chosen = store.profiles[target]
            name, why = chosen.provider, f"nexus.toml: {env} uses profile {target}"
        else:
            name, why = target, f"nexus.toml: {env} uses {target}"
    elif chosen is not None:
        name, why = chosen.provider, f"profile {chosen.name}"
    else:
        name, why = DEFAULT, "the default"
    options = dict(chosen.options) if chosen is not None and chosen.provider == name else {}
    return name, options, why
