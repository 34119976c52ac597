"""Batches on a Dask cluster: ``pipeline translate --cluster tcp://HOST:PORT`` or ``local:N``.

The split: the machine that runs the command reads, detects, segments and plans (the memory's
approved and cached answers, the glossary), checks and writes the files and report.json,
exactly as a local run does (``pipeline.run``, unchanged); what goes to the cluster is the
engines' work. ``ClusterEngineSet`` is the run's ``EngineSet`` with every engine wrapped in a
``RemoteEngine``: its batch of segments (what the memory did not answer, glossary terms already
protected) is cut into chunks, each chunk a Dask task that a worker translates with the engines
it loaded once and keeps (``_worker_engines``, one ``EngineSet`` per engine options in each
worker process). Drafts come back to the command's machine, where the glossary is restored,
the guard runs and new drafts go into its memory. Nothing but segment text and engine options
crosses the network, so no shared file system is needed.

A task is pure (texts in, translations out): when a worker dies Dask runs its chunks again on
another; a chunk that has killed ``distributed.scheduler.allowed-failures`` + 1 workers ends
as ``KilledWorker`` and fails its language pair for the documents of that wave with one line.
Ctrl-C (the run's ``stop``) cancels the tasks not finished. A worker that lacks the engine or
the model the route names fails the pair with one line naming the worker and the model.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pipeline.engines.base import Engine, EngineError, Progress, Route, Translation
from pipeline.engines.registry import EngineOptions, EngineSet
from pipeline.errors import PipelineError
from pipeline.options import Batch

INSTALL_HINT = '--cluster needs Dask, not installed here: pip install "statement-pipeline[cluster]"'
CONNECT_TIMEOUT = 20.0  # seconds to reach the scheduler before the run ends with one line
CHUNK = 64  # segments per task: small enough to spread, big enough for the engine's batching
POLL = 0.2  # seconds between looks at the tasks (and at Ctrl-C)


class ClusterError(PipelineError):
    """The cluster cannot be used: one line, and the exit code (2 usage, 1 unreachable)."""

    def __init__(self, line: str, exit_code: int) -> None:
        super().__init__(line)
        self.exit_code = exit_code


def _distributed() -> Any:
    """The ``distributed`` module, or the one-line install hint (exit 2)."""
    try:
        return importlib.import_module("distributed")
    except ImportError:
        raise ClusterError(INSTALL_HINT, 2) from None


@contextmanager
def connect(spec: str) -> Iterator[Any]:
    """A Dask client for ``spec``: ``tcp://HOST:PORT`` / ``tls://HOST:PORT`` (a running
    scheduler; TLS settings from Dask's configuration, ``distributed.comm.tls.*``), or
    ``local:N`` (N worker processes on 127.0.0.1 for this run, shut down after it)."""
    distributed = _distributed()
    if spec.startswith("local:"):
        try:
            workers = int(spec[len("local:") :])
        except ValueError:
            workers = 0
        if workers < 1:
            raise ClusterError(f"--cluster {spec}: local:N needs N ≥ 1 worker processes", 2)
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            scheduler_port=0,
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.CRITICAL,  # workers' noise while the cluster shuts down
        )
        try:
            with distributed.Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    if not spec.startswith(("tcp://", "tls://")):
        raise ClusterError(f"--cluster {spec}: give tcp://HOST:PORT, tls://HOST:PORT or local:N", 2)
    try:
        client = distributed.Client(spec, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {spec} within {CONNECT_TIMEOUT:.0f} s "
            f"({type(exc).__name__}); is `dask scheduler` running there?",
            1,
        ) from None
    with client:
        yield client


@dataclass
class ClusterEngineSet(EngineSet):
    """The run's engines, each wrapped so its batches are translated on the cluster's
    workers. The engines are still created here: their routes (model, version, settings)
    make the memory key and the plan, so this machine needs the same engines and models
    installed; it does not load the models unless an engine re-decodes a degenerate draft."""

    client: Any = None
    stop: threading.Event = field(default_factory=threading.Event)
    _remote: dict[str, RemoteEngine] = field(default_factory=dict)

    def get(self, name: str) -> Engine | None:
        engine = super().get(name)
        if engine is None:
            return None
        if name not in self._remote:  # one object per engine: fallback() compares identity
            self._remote[name] = RemoteEngine(engine, name, self.options, self.client, self.stop)
        return self._remote[name]


class RemoteEngine:
    """An engine whose ``translate`` runs on the cluster; everything else (the route, the
    glossary strategy, route checks, re-decoding) is the local engine's."""

    def __init__(
        self,
        local: Engine,
        registry_name: str,
        options: EngineOptions,
        client: Any,
        stop: threading.Event,
    ) -> None:
        self.local, self.registry_name, self.options = local, registry_name, options
        self.client, self.stop = client, stop
        self.name, self.markup = local.name, local.markup
        self.glossary_strategy = local.glossary_strategy

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.local, attribute)  # check_route, redecode when the engine has them

    def route(self, src: str, tgt: str) -> Route | None:
        return self.local.route(src, tgt)

    def translate(
        self, texts: Sequence[str], src: str, tgt: str, progress: Progress | None = None
    ) -> list[Translation]:
        route = self.local.route(src, tgt)
        chunks = [list(texts[i : i + CHUNK]) for i in range(0, len(texts), CHUNK)]
        futures = [
            self.client.submit(
                translate_chunk, self.options, self.registry_name, chunk, src, tgt, route, pure=True
            )  # fmt: skip
            for chunk in chunks
        ]
        try:
            _wait(futures, [len(c) for c in chunks], progress, self.stop)
            return [t for future in futures for t in _result(future, src, tgt)]
        finally:
            self.client.cancel([f for f in futures if not f.done()])


def _wait(
    futures: list[Any], sizes: list[int], progress: Progress | None, stop: threading.Event
) -> None:
    """Until every task has ended; progress per finished chunk. The run's progress raises
    ``Interrupted`` once ``stop`` is set, so it is called every ``POLL`` seconds."""
    reported = [False] * len(futures)
    while True:
        for i, future in enumerate(futures):
            if not reported[i] and future.done():
                reported[i] = True
                if progress is not None and future.status == "finished":
                    progress(sizes[i])
        if all(reported):
            return
        if progress is not None:
            progress(0)
        elif stop.is_set():
            raise EngineError("interrupted")
        time.sleep(POLL)


def _result(future: Any, src: str, tgt: str) -> list[Translation]:
    """One chunk's translations, or its failure in one line."""
    try:
        answers: list[Translation] = future.result()
    except PipelineError:
        raise
    except Exception as exc:
        if type(exc).__name__ == "KilledWorker":
            raise EngineError(
                f"{src}→{tgt}: a batch of segments killed Dask workers repeatedly "
                "(distributed.scheduler.allowed-failures); not translated"
            ) from None
        raise EngineError(
            f"{src}→{tgt}: the cluster failed a batch of segments: {type(exc).__name__}: {exc}"
        ) from None
    return answers


_worker_engines: dict[str, EngineSet] = {}
"""In each worker process: the engines per engine options, created by the first task that
needs them and kept, so a model loads once per worker (empty until a task runs)."""


def translate_chunk(
    options: EngineOptions,
    name: str,
    texts: list[str],
    src: str,
    tgt: str,
    route: Route | None,
) -> list[Translation]:
    """On a worker: ``texts`` through the engine ``name`` with this worker's engines; the
    worker must have the route the plan was made with (same model and version)."""
    engines = _worker_engines.setdefault(repr(options), EngineSet(options))
    engine = engines.get(name)
    here = engine.route(src, tgt) if engine is not None else None
    if here is None or (
        route is not None and (here.model, here.version) != (route.model, route.version)
    ):
        wanted = _route_name(name, route)
        has = "nothing" if here is None else _route_name(name, here)
        raise EngineError(
            f"Dask worker {_worker_address()} cannot translate {src}→{tgt}: the plan needs "
            f"{wanted}, the worker has {has}; install the same engines and models on every worker"
        )
    return list(engine.translate(texts, src, tgt)) if engine is not None else []


def _route_name(name: str, route: Route | None) -> str:
    if route is None or route.model is None:
        return f"the {name} engine"
    return f"{route.engine} model {route.model}" + (f" {route.version}" if route.version else "")


def _worker_address() -> str:
    try:
        address: str = _distributed().get_worker().address
    except (ValueError, ClusterError):
        return "(not a worker)"
    return address


@contextmanager
def cluster_engines(spec: str | None, batch: Batch) -> Iterator[EngineSet | None]:
    """The run's engines on the cluster ``spec`` (None: a local run, the default engines)."""
    if spec is None:
        yield None
        return
    with connect(spec) as client:
        yield ClusterEngineSet(batch.mode.engine, client=client, stop=batch.control.stop)
