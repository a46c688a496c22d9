"""``nexus ai emulator base-image``: build the local Python base image (needs root)."""

from __future__ import annotations

from typing import Annotated

import typer

from nexus_cli.plugin import JsonOpt


def base_image(
    tag: Annotated[
        str | None, typer.Option("--tag", help="Image tag (default nexus-base:bookworm-py3).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Build again when the image is already present.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Build a minimal Debian + Python image for agents, for machines that cannot pull one.

    A first deploy builds it by itself where it can (as root, with debootstrap)."""
    from nexus_cli import output
    from nexus_cli.context import use_json
    from nexus_cli.errors import OperationFailed, Unavailable

    use_json(json_)
    from nexus_emulator.runtime import images
    from nexus_emulator.runtime.base import RuntimeUnavailable

    chosen = tag or images.LOCAL_BASE
    present = None if force else images.present_id(chosen)
    if present is not None:
        if output.json_mode():
            output.print_json({"tag": chosen, "id": present, "built": False})
        else:
            output.success(f"{chosen} is already present ({present[:19]}); --force builds it again")
        return
    try:
        with output.progress(f"Building {chosen}") as update:
            image_id = images.build_base_image(chosen, update)
    except images.BaseImageError as exc:
        message = exc.message.removesuffix(f" ({exc.hint})") if exc.hint else exc.message
        raise OperationFailed(message, hint=exc.hint, details=exc.tail) from None
    except RuntimeUnavailable as exc:
        raise Unavailable(exc.message, hint=exc.hint) from None
    result = {"tag": chosen, "id": image_id, "built": True}
    if output.json_mode():
        output.print_json(result)
    else:
        output.success(f"Built {chosen} ({image_id[:19]})")
