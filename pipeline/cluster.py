"""Batches on a Dask cluster: ``pipeline translate --cluster tcp://HOST:PORT`` or ``local:N``.

The split, per document: a worker reads, detects and segments it from its bytes
(``prepare_on_worker``, the local run's ``pipeline.prepare``) and returns the prepared value;
the machine that runs the command makes the plan from it (the memory's approved and cached
answers, the glossary: ``pipeline.plan``, as in a local run) and runs the translate stage,
whose engine batches are Dask tasks too (``ClusterEngineSet``: each engine a ``RemoteEngine``
whose chunks a worker translates with the engines it loaded once and keeps, one ``EngineSet``
per engine options in each worker process), so new drafts go into the command's memory; then
a worker runs QA and makes the document's files in a folder of its own (``render_on_worker``,
the local run's ``pipeline.write``, LibreOffice and pandoc kept running in the worker) and
returns their bytes and the targets' reports, and the command's machine writes the files
atomically and report.json (``ClusterStages.written``). No shared file system is needed.

Tasks are pure (bytes or texts in, values out): when a worker dies Dask runs its tasks again on
another; a task that has killed ``distributed.scheduler.allowed-failures`` + 1 workers ends as
``KilledWorker``: a document's reading or writing fails that document alone with one line; an
engine chunk raises ``EngineCrashed``, and the translate stage tries its documents one by one,
so only the document whose segments kill the engine fails. Ctrl-C (the run's ``stop``)
cancels the tasks not finished. A worker that lacks the engine or the model the route names
fails the pair with one line naming the worker and the model.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.engines.base import Engine, EngineCrashed, EngineError, Progress, Route, Translation
from pipeline.engines.paths import EnginePaths
from pipeline.engines.registry import EngineOptions, EngineSet
from pipeline.errors import PipelineError
from pipeline.export import libreoffice, pandoc_server
from pipeline.export.atomic import write_bytes_atomic
from pipeline.export.pool import WriterPool
from pipeline.ingest.limits import Limits, reads_beside
from pipeline.jobs import Prepared, Source, TargetDraft, TargetReport
from pipeline.options import Batch, OutputMode
from pipeline.plan import DocumentPlan, TargetPlan
from pipeline.prepare import prepare
from pipeline.write import Writing, write_target

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
    ``local:N`` (N worker processes on 127.0.0.1 for this run, shut down after it). Dask's
    own log lines are silenced meanwhile: a worker's death and the rescheduling of its tasks
    are Dask's business, and what a user must know the run says in its own lines."""
    distributed = _distributed()
    loggers = [logging.getLogger(name) for name in ("distributed", "distributed.client")]
    levels = [logger.level for logger in loggers]  # Dask's config sets both, each its handler
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        with _client(distributed, spec) as client:
            yield client
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextmanager
def _client(distributed: Any, spec: str) -> Iterator[Any]:
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
    except (TypeError, ValueError, RuntimeError) as exc:  # TLS settings missing or refused
        raise ClusterError(
            f"cannot connect to the Dask scheduler at {spec}: {exc} (TLS: the client's "
            "certificates come from Dask's configuration, distributed.comm.tls.*)",
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
            raise EngineCrashed(
                f"{src}→{tgt}: its segments killed Dask workers repeatedly "
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
    """On a worker: ``texts`` through the engine ``name`` with this worker's engines, found
    in this worker's own folders (its environment, not the command's); the worker must have
    the route the plan was made with (same model and version)."""
    options = replace(options, paths=EnginePaths.from_env())
    key = repr(options)
    if key not in _worker_engines:
        _worker_engines[key] = EngineSet(options)
    engines = _worker_engines[key]
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
def cluster_run(
    spec: str | None, batch: Batch
) -> Iterator[tuple[EngineSet | None, ClusterStages | None]]:
    """The run's engines and per-document stages on the cluster ``spec`` (None: a local run)."""
    if spec is None:
        yield None, None
        return
    with connect(spec) as client:
        stop = batch.control.stop
        engines = ClusterEngineSet(batch.mode.engine, client=client, stop=stop)
        yield engines, ClusterStages(client, stop)


Rendered = tuple[list[TargetReport], dict[str, bytes]]
"""What a worker made of one document: its targets' reports, and its files (name → bytes)."""


@dataclass
class ClusterStages:
    """The per-document stages a local run does itself, as Dask tasks: ``prepare`` (read,
    detect, segment on a worker) and ``render`` then ``written`` (QA and the files on a
    worker, written here). Their outcome is a value, a document's one line, or None when the
    run was interrupted (Ctrl-C: the task is cancelled, the document not done)."""

    client: Any
    stop: threading.Event

    def threads(self) -> int:
        """The cluster's worker threads now (documents worth reading at once)."""
        workers = self.client.scheduler_info().get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def prepare(
        self, source: Source, sha256: str, mode: OutputMode, limits: Limits
    ) -> Prepared | str | None:
        """``pipeline.prepare.prepare`` of ``source``, on a worker sent its bytes."""
        if not sha256 or reads_beside(source.path):  # not a file to read (the local stage
            return prepare(source, sha256, mode, limits)  # says why), or pictures beside it
        try:
            data = source.path.read_bytes()
        except OSError as exc:
            return f"cannot read: {exc.strerror or exc}"
        future = self.client.submit(prepare_on_worker, data, source, sha256, mode, limits,
                                    key=_key("prepare", source))  # fmt: skip
        outcome = self._outcome(future, "reading")
        return _prepared_here(outcome, source) if isinstance(outcome, Prepared) else outcome

    def render(self, plan: DocumentPlan, drafts: Sequence[TargetDraft], mode: OutputMode) -> Any:
        """A worker starts on the document's QA and files (the future of ``Rendered``), or
        the line saying why it cannot."""
        prepared = plan.prepared
        try:  # an in-place source's package is written again from the source itself
            data = b"" if prepared.inplace is None else prepared.source.path.read_bytes()
        except OSError as exc:
            return f"cannot read: {exc.strerror or exc}"
        return self.client.submit(
            render_on_worker, data, prepared, dict(plan.targets), list(drafts), mode,
            key=_key("render", prepared.source),
        )  # fmt: skip

    def written(
        self, task: Any, out_dir: Path, watcher: Any
    ) -> dict[str, TargetReport] | str | None:
        """The document's files written here atomically in ``out_dir`` and its targets'
        reports, its one line when the worker's task failed, None when interrupted."""
        outcome = task if isinstance(task, str) else self._outcome(task, "writing")
        if not isinstance(outcome, tuple):
            return outcome
        reports, files = outcome
        for name, data in files.items():
            path = out_dir / name
            watcher.file_started(path)
            try:
                write_bytes_atomic(path, data)
            except OSError as exc:
                return f"cannot write {path}: {exc.strerror or exc}"
            finally:
                watcher.file_done(path)
        return {report.lang: report for report in reports}

    def _outcome(self, future: Any, stage: str) -> Any:
        """A document task's value, or its one line (killed workers, an error), or None."""
        try:
            while not future.done():
                if self.stop.is_set():
                    return None
                time.sleep(POLL)
            return future.result()
        except Exception as exc:
            if type(exc).__name__ == "KilledWorker":
                return (
                    f"killed Dask workers repeatedly while {stage} it "
                    "(distributed.scheduler.allowed-failures); not translated"
                )
            return f"the cluster failed while {stage} it: {type(exc).__name__}: {exc}"
        finally:
            if not future.done():
                self.client.cancel([future])


def _key(stage: str, source: Source) -> str:
    return f"{stage}-{source.stem}-{uuid.uuid4().hex}"


def _prepared_here(prepared: Prepared, source: Source) -> Prepared:
    """A worker's prepared document with this machine's source and path."""
    doc = replace(prepared.doc, source_path=str(source.path))
    return replace(prepared, source=source, doc=doc)


def prepare_on_worker(
    data: bytes, source: Source, sha256: str, mode: OutputMode, limits: Limits
) -> Prepared | str:
    """On a worker: the document's bytes in a folder of its own, read, detected, segmented."""
    with tempfile.TemporaryDirectory(prefix="pipeline-dask-") as folder:
        local = Path(folder) / source.path.name
        local.write_bytes(data)
        return prepare(replace(source, path=local), sha256, mode, limits)


def render_on_worker(
    data: bytes,
    prepared: Prepared,
    targets: Mapping[str, TargetPlan],
    drafts: list[TargetDraft],
    mode: OutputMode,
) -> Rendered:
    """On a worker: QA and every file of one document's targets (``pipeline.write``, as in a
    local run) in a folder of its own; the files' bytes and the reports, their paths those
    of the command's machine (``prepared.source.out_dir``)."""
    with tempfile.TemporaryDirectory(prefix="pipeline-dask-") as folder:
        here = Path(folder) / "out"
        local = _localized(prepared, Path(folder) / prepared.source.path.name, here, data)
        plan = DocumentPlan(local, targets, {})
        writing = Writing(mode, threading.Event(), _worker_writers())
        out_dir = prepared.source.out_dir
        reports = [_moved(write_target(plan, draft, writing), here, out_dir) for draft in drafts]
        files = {str(p.relative_to(here)): p.read_bytes() for p in here.rglob("*") if p.is_file()}
    return reports, files


def _localized(prepared: Prepared, path: Path, out_dir: Path, data: bytes) -> Prepared:
    """``prepared`` writing into ``out_dir`` on this worker; an in-place source's package
    (read again by its writer) written at ``path`` from ``data``."""
    out_dir.mkdir(parents=True)
    found = prepared.inplace
    if found is not None and isinstance(getattr(found.skeleton, "source", None), str):
        path.write_bytes(data)
        skeleton: Any = found.skeleton  # every skeleton but a PDF's names its package
        found = replace(found, skeleton=replace(skeleton, source=str(path)))
    return replace(prepared, source=replace(prepared.source, out_dir=out_dir), inplace=found)


def _moved(value: Any, old: Path, new: Path) -> Any:
    """``value`` (a report, its mappings) with every path under ``old`` moved under ``new``."""
    if isinstance(value, str):
        return str(new) + value[len(str(old)) :] if value.startswith(str(old)) else value
    if isinstance(value, TargetReport):
        return replace(value, outputs=_moved(dict(value.outputs), old, new),
                       leaflet=_moved(value.leaflet, old, new))  # fmt: skip
    if isinstance(value, dict):
        return {k: _moved(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_moved(v, old, new) for v in value]
    return value


_worker_state: dict[str, Any] = {}
"""In each worker process: its writer pool, with a running pandoc and LibreOffice kept for
as long as the process runs (started by the first document it writes)."""
_worker_lock = threading.Lock()


def _worker_writers() -> WriterPool:
    with _worker_lock:
        if "writers" not in _worker_state:
            stack = ExitStack()
            stack.enter_context(pandoc_server.serving())
            stack.enter_context(libreoffice.serving(1))
            _worker_state["writers"] = stack.enter_context(WriterPool(1))
            atexit.register(stack.close)
        writers: WriterPool = _worker_state["writers"]
    return writers
