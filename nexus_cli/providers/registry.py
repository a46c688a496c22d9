"""Provider plugins, found through the ``nexus.providers`` entry-point group.

Built-in providers are registered in pyproject.toml exactly like third-party
ones. Listing reads package metadata only; a plugin's module is imported
when it is used (``get_provider``) or when its capabilities are asked for.
``NEXUS_PROVIDERS=local,swarm`` pins which providers may load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nexus_cli.errors import OperationFailed, UsageError

if TYPE_CHECKING:
    from nexus.settings import Settings
    from nexus_cli.entry_points import EntryPoint
    from nexus_cli.providers.base import ProgressFn, Provider

GROUP = "nexus.providers"
PIN_ENV = "NEXUS_PROVIDERS"


@dataclass(frozen=True)
class ProviderEntry:
    name: str
    module: str  # "package.module:Class", as declared
    distribution: str | None
    enabled: bool  # allowed by NEXUS_PROVIDERS (always true when unset)
    entry_point: EntryPoint | None = field(default=None, repr=False, compare=False)
    version: str | None = None  # of the distribution


def settings() -> Settings:
    """The NEXUS_* settings; a value that cannot be used is a usage error naming it."""
    from nexus.settings import Settings, SettingsError

    try:
        return Settings.load()
    except SettingsError as exc:
        raise UsageError(exc.message, hint=exc.hint) from None


def pinned() -> set[str] | None:
    raw = (settings().providers or "").strip()
    if not raw:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


def entries() -> list[ProviderEntry]:
    """Every declared provider, without importing any of them."""
    from nexus_cli.entry_points import entry_points, metadata_field

    allowed = pinned()
    found: dict[str, ProviderEntry] = {}
    for ep in entry_points(GROUP):
        if ep.name in found:
            continue
        found[ep.name] = ProviderEntry(
            name=ep.name,
            module=ep.value,
            distribution=ep.distribution,
            enabled=allowed is None or ep.name in allowed,
            entry_point=ep,
            version=metadata_field(ep.path, "Version"),
        )
    return sorted(found.values(), key=lambda e: e.name)


def load_class(name: str) -> type[Provider]:
    """Import one provider's class; unknown or pinned-out names are usage errors."""
    from nexus_cli.providers.base import Provider

    known = entries()
    entry = next((e for e in known if e.name == name), None)
    if entry is None:
        from nexus.ai.spec import suggest

        names = [e.name for e in known]
        close = suggest(name, names)
        listing = ", ".join(names) if names else "none installed"
        raise UsageError(
            f"unknown provider {name!r}" + (f" (did you mean {close!r}?)" if close else ""),
            hint=f"known providers: {listing}; pass --provider NAME or set NEXUS_PROVIDER",
        )
    if not entry.enabled:
        raise UsageError(
            f"provider {name!r} is not enabled by {PIN_ENV}={','.join(sorted(pinned() or ()))}",
            hint=f"add {name} to {PIN_ENV}, or unset it to allow every installed provider",
        )
    try:
        if entry.entry_point is None:
            raise LookupError("no entry point")
        cls = entry.entry_point.load()
    except Exception as exc:  # a broken plugin must not look like a Nexus bug
        raise OperationFailed(
            f"provider {name!r} ({entry.module}) could not be loaded: {type(exc).__name__}: {exc}",
            hint=f"reinstall the package that provides it ({entry.distribution or 'unknown'})",
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise OperationFailed(
            f"provider {name!r} ({entry.module}) is not a nexus Provider subclass",
            hint="the plugin's entry point must name a class derived from "
            "nexus_cli.providers.base.Provider",
        )
    return cls


def get_provider(name: str, *, notice: ProgressFn | None = None, **options: Any) -> Provider:
    """Load and create the provider ``name``."""
    return load_class(name)(notice=notice, **options)
