"""The emulator's parts, wired once at start: state, runtime, relay, replicas, deployer."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from concurrent.futures import Future
from typing import TYPE_CHECKING

from nexus.admin_credential import ensure_admin_token
from nexus_emulator.chain import Chain
from nexus_emulator.config import EmulatorConfig
from nexus_emulator.credentials import Credentials
from nexus_emulator.deployer import Deployer
from nexus_emulator.gateway.service import Gateway
from nexus_emulator.identity.service import Identity
from nexus_emulator.locks import AgentLocks
from nexus_emulator.metrics import Metrics
from nexus_emulator.platform_endpoint import PlatformEndpoint
from nexus_emulator.pools import Pools
from nexus_emulator.relay import Relay
from nexus_emulator.replicas import Replicas
from nexus_emulator.routing import Routing
from nexus_emulator.runtime.base import Runtime
from nexus_emulator.scaling import Scaling
from nexus_emulator.serving import Serving
from nexus_emulator.sessions import Sessions
from nexus_emulator.store import Store
from nexus_emulator.tasks import TaskQueue
from nexus_emulator.tracing import Tracer
from nexus_emulator.upstream import Upstream
from nexus_emulator.vault import Vault

if TYPE_CHECKING:
    from nexus_emulator.memory.store import Memory
    from nexus_emulator.otlp_export import Forwarder

log = logging.getLogger("nexus_emulator")


class Emulator:
    def __init__(
        self, config: EmulatorConfig, admin_token: Future[tuple[str, str]] | None = None
    ) -> None:
        self.config = config
        # the admin credential: in the OS keyring, else $NEXUS_HOME/token (0600); a caller
        # may have started looking for it already (__main__: the keyring's start is slow)
        found = admin_token.result() if admin_token is not None else None
        self.token, self.token_store = found or ensure_admin_token(config.home)
        self.identity = Identity(config.home, config.issuer, self.token, config.workload_ttl)
        self.started_at = time.time()
        self.relay = Relay()
        self.upstream = Upstream(self.relay.credentials)
        self.pools = Pools()
        self.http_counts: Counter[tuple[str, str, int]] = Counter()
        self.metrics = Metrics()
        self.gateway = Gateway(config.home, self.metrics, self._version_of)
        self._tracer: Tracer | None = None
        self.forwarder: Forwarder | None = None  # spans to an external collector, if set
        self._routing: Routing | None = None
        self._chain: Chain | None = None
        self.ready = False
        self._warmed = False
        self.vault: Vault | None = None
        self.credentials: Credentials | None = None
        self._memory: Memory | None = None
        self.serving = Serving()  # the calls replicas serve now: memory's actor binding
        self.tasks: TaskQueue | None = None
        self._sessions: Sessions | None = None
        self._store: Store | None = None
        self._runtime: Runtime | None = None
        self.lock = AgentLocks()  # shared by the deployer, scaling, health, reconcile and gc
        self._replicas: Replicas | None = None
        self._deployer: Deployer | None = None
        self._scaling: Scaling | None = None
        self._background: asyncio.Task[None] | None = None
        self.platform: PlatformEndpoint | None = None  # where replicas reach the platform API

    @property
    def memory(self) -> Memory | None:
        """The agents' memory, made on first use (its routes and models are not on the start's
        path); None before the start."""
        if self._memory is None and self._store is not None:
            from nexus_emulator.memory.extract import Extractor
            from nexus_emulator.memory.store import Memory
            from nexus_emulator.memory.vectors import Vectors

            memory = Memory(self._store.conn)
            memory.extractor = Extractor(memory, self.gateway)
            memory.vectors = Vectors(self._store.conn, self.gateway)
            self._memory = memory
        return self._memory

    @property
    def tracer(self) -> Tracer:
        assert self._tracer is not None, "emulator not started"
        return self._tracer

    @property
    def routing(self) -> Routing:
        assert self._routing is not None, "emulator not started"
        return self._routing

    @property
    def chain(self) -> Chain:
        assert self._chain is not None, "emulator not started"
        return self._chain

    @property
    def store(self) -> Store:
        assert self._store is not None, "emulator not started"
        return self._store

    @property
    def runtime(self) -> Runtime:
        assert self._runtime is not None, "emulator not started"
        return self._runtime

    @property
    def deployer(self) -> Deployer:
        assert self._deployer is not None, "emulator not started"
        return self._deployer

    @property
    def replicas(self) -> Replicas:
        assert self._replicas is not None, "emulator not started"
        return self._replicas

    @property
    def sessions(self) -> Sessions:
        assert self._sessions is not None, "emulator not started"
        return self._sessions

    @property
    def scaling(self) -> Scaling:
        assert self._scaling is not None, "emulator not started"
        return self._scaling

    def _version_of(self, agent: str, env: str) -> str | None:
        pool = self.pools.get(agent, env)
        if pool is None or self._routing is None:
            return None
        return self._routing.label(agent, pool.revision) or f"r{pool.revision}"

    async def start(self) -> None:
        from nexus_emulator.platform_endpoint import open_endpoint
        from nexus_emulator.runtime import select_runtime

        self._store = Store(self.config.paths.db)
        runtime = select_runtime(self.config.runtime, self.config.home)
        await runtime.check()
        self._runtime = runtime
        self._tracer = Tracer(self._store)
        if self.config.otlp_endpoint:
            from nexus_emulator.otlp_export import Forwarder  # urllib: only when forwarding

            self.forwarder = Forwarder(self.config.otlp_endpoint, self.config.otlp_headers)
            self._tracer.forward = self.forwarder.send
            log.info("forwarding spans to %s", self.forwarder.url)
        self.vault = Vault(self._store, self.config.home, self.identity.digest)
        self.credentials = Credentials(self._store, self.vault)
        self.gateway.attach(self._store.conn, self.credentials.api_key, self._tracer)
        self._routing = Routing(self._store)
        self._chain = Chain(
            self._routing,
            self.pools,
            self.upstream,
            self.metrics,
            self._tracer,
            self.gateway.ledger.take,
            self.gateway.ledger.open,
            self.serving,
        )
        self._chain.replica_wait = self.config.replica_wait
        self.tasks = TaskQueue(self._store, self.pools, self._chain, self.relay, self.config.home)
        self.tasks.max_attempts = self.config.task_attempts
        self.platform = await open_endpoint(runtime, self.config)
        self.identity.platform_url = self.platform.url if self.platform else None
        replicas = Replicas(
            self.config, runtime, self.relay, self.vault.resolve, self.identity.platform_file
        )
        self._replicas = replicas
        self._sessions = Sessions(
            self._store,
            replicas,
            self.config.session_idle,
            self.config.session_lifetime,
            self.pools,
            self.config.session_spare,
        )
        self._deployer = Deployer(
            self.config, self._store, runtime, self.pools, replicas, self.lock, self.vault
        )
        self._scaling = Scaling(self._store, self.pools, replicas, self.lock, self._deployer.top_up)
        adopted = asyncio.Event()
        self._background = asyncio.create_task(self._look_after(adopted))
        # ready once the replicas that outlived the last run are checked and serve again;
        # calls for environments whose replicas are still starting wait for them (chain.py)
        await asyncio.wait(
            [asyncio.ensure_future(adopted.wait()), self._background],
            return_when=asyncio.FIRST_COMPLETED,
        )
        self.ready = True
        log.info("ready: runtime %s, state %s", runtime.name, self.config.paths.db)

    def warm(self, *, unless_idle: bool = False) -> None:
        """Load in threads what the first health check and the first model call would wait
        for (aiohttp; the tokenizer, about a second of CPU): once serving, so the start to
        ready does not share the CPU with it, and only where agents run (``unless_idle``);
        else the first deploy asks for it, while its image builds."""
        if self._warmed or (unless_idle and not self.store.deployments()):
            return
        self._warmed = True
        self.relay.warm()
        self.gateway.warm()

    async def _look_after(self, adopted: asyncio.Event) -> None:
        """Bring back the replicas of every deployment, then keep their health true."""
        from nexus_emulator.health import monitor
        from nexus_emulator.identity.refresh import keep_fresh
        from nexus_emulator.reconcile import reconcile
        from nexus_emulator.scaling import Autoscaler
        from nexus_emulator.upkeep import Upkeep

        # what keeps replicas serving; one lock per agent (self.lock, shared with the deployer
        # and scaling) keeps a deploy, a scale and a replacement of one agent apart
        parts = Upkeep(
            self.store,
            self.runtime,
            self.relay,
            self.pools,
            self.replicas,
            self.lock,
            self.deployer.top_up,
        )
        try:
            done = await reconcile(parts, adopted.set)
            log.info("replicas after the start: %s", done.summary())
        except Exception:  # the emulator still serves; the monitor retries the replicas
            log.exception("reconciling replicas after the start failed")
        adopted.set()
        try:
            from nexus_emulator.gc import collect

            log.info(
                "garbage collected after the start: %s",
                (
                    await collect(
                        self.store, self.runtime, self.config, self.lock, self.sessions.tracked
                    )
                ).summary(),
            )
        except Exception:  # a leftover is no reason not to serve
            log.exception("garbage collection after the start failed")
        autoscaler = Autoscaler(self.store, self.pools, self.scaling, self.config.autoscale_window)
        assert self.tasks is not None
        await asyncio.gather(
            monitor(parts, self.config.health_interval),
            autoscaler.run(),
            self.tasks.run(),
            self.sessions.run(),
            self.tracer.run(),
            keep_fresh(self.pools, self.identity),
            self.identity.authorizers.refresh(),
        )

    async def stop(self) -> None:
        self.ready = False
        if self._background is not None and not self._background.done():
            self._background.cancel()
        if self._tracer is not None:
            self._tracer.close()
        if self.forwarder is not None:
            await asyncio.to_thread(self.forwarder.close)
        if self._memory is not None and self._memory.extractor is not None:
            await self._memory.extractor.close()
        if self._memory is not None and self._memory.vectors is not None:
            await self._memory.vectors.close()
        await self.relay.close()
        await self.upstream.close()
        await self.gateway.close()
        if self._runtime is not None:
            await self._runtime.close()
        if self._store is not None:
            self._store.close()
        if self.platform is not None and self.platform.sock is not None:
            self.platform.sock.close()
