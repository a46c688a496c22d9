"""nexus.toml's ``[gateway]`` table, applied on deploy: the agent's own model (here an
Anthropic upstream on loopback, its key from the vault, with a fallback) answers that
agent only, its quota is set in the environment deployed to; a redeploy without the
model takes it away, and a wrong table is refused with the table and field named."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from tests.cli.cli_support import Platform
from tests.emulator.cloud_support import AnthropicServer
from tests.emulator.test_api_credentials import workload_of

AGENT = """
from nexus.ai.agents import Agent

class Tabled(Agent):
    async def process(self, input):
        model, text = input.split(" ", 1)
        return await self.llm.generate(text, model=model)
"""


def project(root: Path, gateway: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "agent.py").write_text(AGENT)
    head = '[agent]\nname = "tabled"\nentrypoint = "agent:Tabled"\n\n'
    (root / "nexus.toml").write_text(head + textwrap.dedent(gateway))
    return root


def run(platform: Platform, model: str) -> dict[str, Any]:
    result = platform("ai", "agent", "run", "tabled", f"{model} hello up there", "--json")
    assert result.code == 0, result.out
    return dict(json.loads(result.stdout))


def test_gateway_table_applied_on_deploy(platform: Platform, tmp_path: Path) -> None:
    anthropic = AnthropicServer()
    try:
        table = f"""
            [gateway.models.claude]
            provider = "anthropic"
            url = "{anthropic.url}"
            upstream_model = "claude-echo"
            credential = "anthropic"

            [gateway.models.claude-down]
            provider = "anthropic"
            url = "{anthropic.url}"
            upstream_model = "claude-fail"
            fallback = "claude"

            [gateway.quota]
            requests_per_minute = 500
            tokens_per_day = 100000
        """
        root = project(tmp_path / "tabled", table)
        key = platform("ai", "agent", "credential", "set", "tabled", "anthropic",
                       "--api-key", "-", stdin="sk-ant-tabled\n")  # fmt: skip
        assert key.code == 0, key.out
        deployed = platform("ai", "agent", "deploy", "--path", str(root))
        assert deployed.code == 0, deployed.out

        answer = run(platform, "claude")
        assert answer["output"] == "HELLO UP THERE"
        assert answer["metadata"]["tokens_used"] == 16  # the upstream's usage: 11 + 5
        assert anthropic.auths[-1][0] == "sk-ant-tabled"
        assert run(platform, "claude-down")["output"] == "HELLO UP THERE"  # its fallback

        models = json.loads(platform("ai", "gateway", "models", "--json").stdout)
        own = {m["id"]: m for m in models if m["agent"] == "tabled"}
        table_lines = platform("ai", "gateway", "models").stdout.splitlines()
        assert any(line.split()[0] == "claude" and line.split()[-1] == "tabled"
                   for line in table_lines)  # fmt: skip
        assert set(own) == {"claude", "claude-down"}
        assert own["claude"]["provider"] == "anthropic"
        quota = json.loads(platform("ai", "gateway", "quota", "show", "tabled", "--json").stdout)
        assert quota["quota"]["requests_per_minute"] == 500
        assert quota["quota"]["tokens_per_day"] == 100000

        em: Any = SimpleNamespace(
            home=platform.emulator.home, url=platform.emulator.url(platform.emulator.port)
        )
        other = httpx.post(  # another agent does not see this agent's models
            em.url + "/v1/platform/gateway/v1/chat/completions",
            json={"model": "claude", "messages": [{"role": "user", "content": "hi"}]},
            headers={"Authorization": f"Bearer {workload_of(em, 'not-tabled')}"},
        )
        assert other.status_code == 404, other.text

        project(root, "[gateway]\n")  # redeployed without its models: they are gone
        again = platform("ai", "agent", "deploy", "--path", str(root))
        assert again.code == 0, again.out
        gone = platform("ai", "agent", "run", "tabled", "claude hi")
        assert gone.code == 1
        assert "the model 'claude' does not exist" in gone.stderr
    finally:
        anthropic.close()


def test_a_wrong_gateway_table_is_refused(platform: Platform, tmp_path: Path) -> None:
    for table, said in (
        ('[gateway.models.m]\nupstream_model = "x"\n',
         "[gateway.models.m]: an openai route needs the upstream's url"),
        ('[gateway.models.m]\nupstream_model = "x"\nprovider = "pigeon"\n',
         "[gateway.models.m] provider: Input should be 'openai', 'anthropic' or 'bedrock'"),
        ('[gateway.models.m]\nupstream_model = "x"\nurl = "http://h"\ncolour = "red"\n',
         "[gateway.models.m] has no 'colour'"),
        ("[gateway.models.m]\nurl = 'http://h'\n",
         '[gateway.models.m] needs upstream_model = "..."'),
        ("[gateway.quota]\nrequests_per_minute = -1\n",
         "[gateway.quota] requests_per_minute: Input should be greater than 0"),
        ("[gateway]\nroutes = 1\n", "[gateway] has no 'routes'"),
    ):  # fmt: skip
        root = project(tmp_path / "wrong", table)
        result = platform("ai", "agent", "deploy", "--path", str(root))
        assert result.code == 2, (table, result.out)
        assert said in " ".join(result.stderr.split()), (table, result.stderr)  # unwrapped
    fallback = '[gateway.models.m]\nupstream_model = "x"\nurl = "http://h"\nfallback = "nope"\n'
    refused = platform("ai", "agent", "deploy", "--path", str(project(tmp_path / "fb", fallback)))
    assert refused.code == 2, refused.out
    said = "[gateway.models.m]: fallback 'nope' must be another model here"
    assert said in " ".join(refused.stderr.split())
