"""Result model of the profile commands (imported only when one runs)."""

from __future__ import annotations

from pydantic import BaseModel


class ProfileInfo(BaseModel):
    name: str
    provider: str
    options: dict[str, str] = {}
    current: bool = False
    path: str | None = None  # the file profiles are kept in


def info(name: str) -> ProfileInfo:
    from nexus_cli.providers.selection import load

    store = load()
    profile = store.get(name)
    return ProfileInfo(
        name=profile.name,
        provider=profile.provider,
        options=profile.options,
        current=store.current == profile.name,
        path=str(store.path),
    )


def lines(p: ProfileInfo) -> list[str]:
    out = [f"{p.name}{' (in use)' if p.current else ''}: provider {p.provider}"]
    out += [f"  {key} = {value}" for key, value in sorted(p.options.items())]
    if p.path:
        out.append(f"  kept in {p.path}")
    return out
