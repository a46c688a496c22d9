"""``nexus ai agent credential set NAME CRED --api-key -`` (or ``--oauth2 ...``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from nexus_cli.commands._options import AgentArg, JsonOpt

if TYPE_CHECKING:
    from nexus_api.identity import CredentialInfo


def render(info: CredentialInfo) -> str:
    verb = "Deleted" if info.deleted else "Set"
    return f"{verb} credential {info.name} ({info.kind})."


def set_credential(
    name: AgentArg,
    credential: Annotated[str, typer.Argument(help="Credential name, e.g. github.")],
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", help="The API key; - to pipe it in or type it hidden."),
    ] = None,
    oauth2: Annotated[
        bool, typer.Option("--oauth2", help="An OAuth2 client (client-credentials grant).")
    ] = False,
    token_url: Annotated[
        str | None, typer.Option("--token-url", help="The provider's token endpoint.")
    ] = None,
    client_id: Annotated[str | None, typer.Option("--client-id", help="The client id.")] = None,
    client_secret: Annotated[
        str | None,
        typer.Option("--client-secret", help="The client secret; - to pipe it in or type it."),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Store a credential the agent fetches with self.credentials (values are never shown)."""
    from nexus_cli import output
    from nexus_cli.commands.agent._common import begin
    from nexus_cli.commands.agent.secret.set import read_value
    from nexus_cli.context import provider
    from nexus_cli.errors import UsageError

    begin(json_, name)
    if (api_key is None) == (not oauth2):
        raise UsageError(
            "give either --api-key or --oauth2",
            hint=f"nexus ai agent credential set {name} {credential} --api-key -",
        )
    if api_key is not None:
        values = {"kind": "api_key", "api_key": read_value(credential, api_key)}
    else:
        if not token_url or not client_id or client_secret is None:
            raise UsageError(
                "--oauth2 needs --token-url, --client-id and --client-secret",
                hint=f"nexus ai agent credential set {name} {credential} --oauth2 "
                "--token-url URL --client-id ID --client-secret -",
            )
        secret = read_value(f"{credential} client secret", client_secret)
        values = {
            "kind": "oauth2",
            "token_url": token_url,
            "client_id": client_id,
            "client_secret": secret,
        }
    output.emit(provider().credential_set(name, credential, values), render)
