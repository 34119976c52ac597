"""Choosing an engine for a language pair: ``--engine auto|argos|apertium|libretranslate|ctranslate2``.

With ``auto`` the order per pair comes from ``engines.yml`` (``routes.py``) when it lists the
pair, else ``routes.DEFAULT_ORDER``: installed CTranslate2 family models (OPUS-MT, NLLB-200,
M2M-100), then Argos, then Apertium. An ``engines.yml`` entry may name one installed model.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from pipeline.engines import routes as route_order
from pipeline.engines.base import Engine, EngineError, Route, RouteChecking
from pipeline.engines.paths import EnginePaths
from pipeline.engines.pivot import PIVOT, PivotEngine

ENGINE_CHOICES = ("auto", "argos", "apertium", "libretranslate", "ctranslate2")


@dataclass(frozen=True)
class EngineOptions:
    """What the user said about engines on the command line."""

    choice: str = "auto"
    url: str | None = None
    api_key: str | None = None
    routes: route_order.Routes = field(default_factory=dict)  # engines.yml
    lt_concurrency: int | None = None  # LibreTranslate batches in flight (None: the default)
    paths: EnginePaths = field(default_factory=EnginePaths.from_env)  # the CLI reads them once


@dataclass
class EngineSet:
    """The engines of one run, created lazily and kept for the whole run (models load once)."""

    options: EngineOptions = field(default_factory=EngineOptions)
    _engines: dict[str, Engine | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # one line each: routes passed over, suspect
    _pivots: dict[tuple[int, int], PivotEngine] = field(default_factory=dict)

    def note(self, line: str) -> None:
        """Record a warning for the user, once."""
        if line not in self.notes:
            self.notes.append(line)

    @classmethod
    def with_engines(cls, choice: str, engines: dict[str, Engine]) -> EngineSet:
        """An engine set holding ready-made engines (tests use this for their test double)."""
        given: dict[str, Engine | None] = {"ctranslate2": None, **engines}
        return cls(EngineOptions(choice=choice), given)

    def get(self, name: str) -> Engine | None:
        """The engine called ``name``, or None when it cannot be used on this machine."""
        if name not in self._engines:
            self._engines[name] = self._create(name)
        return self._engines[name]

    def _create(self, name: str) -> Engine | None:
        if name == "apertium":
            from pipeline.engines.apertium import ApertiumEngine

            engine = ApertiumEngine(data_dirs=self.options.paths.apertium)
            return engine if engine.available() else None
        if name == "argos":
            try:
                module = importlib.import_module("pipeline.engines.argos")
            except ImportError:
                return None
            argos: Engine = module.ArgosEngine(data_dir=self.options.paths.argos_data)
            return argos
        if name == "ctranslate2" or name.startswith("model:"):
            from pipeline.engines.ct2 import FamilyEngine

            family = FamilyEngine(
                only=name[len("model:") :] if name.startswith("model:") else None,
                root=self.options.paths.models,
            )
            return family if family.available() else None
        if name == "libretranslate":
            if not self.options.url:
                raise EngineError("--engine libretranslate needs --url URL of the server")
            module = importlib.import_module("pipeline.engines.libretranslate")
            extra = {}
            if self.options.lt_concurrency:
                extra["concurrency"] = self.options.lt_concurrency
            server: Engine = module.LibreTranslateEngine(
                self.options.url, api_key=self.options.api_key, **extra
            )
            return server
        raise EngineError(f"unknown engine {name!r}: choose from {', '.join(ENGINE_CHOICES)}")

    def _names(self, src: str, tgt: str) -> list[str]:
        """The engines to try for src→tgt, in order (a model named in engines.yml is
        ``model:NAME``, the ctranslate2 engine bound to that model)."""
        if self.options.choice != "auto":
            return [self.options.choice]
        names = route_order.order(self.options.routes, src, tgt)
        return [n if n in route_order.ENGINE_NAMES else f"model:{n}" for n in names]

    def _candidates(self, src: str, tgt: str) -> list[tuple[Engine, Route]]:
        """Every (engine, route) that covers src→tgt on this machine, in order; with
        ``auto``, last, a pivot through English across engines (``_pivot``)."""
        found = []
        for name in self._names(src, tgt):
            if name == "libretranslate" and not self.options.url:
                continue  # named in engines.yml, but no server given for this run
            engine = self.get(name)
            route = engine.route(src, tgt) if engine is not None else None
            if engine is not None and route is not None:
                found.append((engine, route))
        pivot = self._pivot(src, tgt)
        if pivot is not None and all(engine is not pivot[0] for engine, _ in found):
            found.append(pivot)
        return found

    def _pivot(self, src: str, tgt: str) -> tuple[Engine, Route] | None:
        """src→en with the engine ``auto`` chooses for it, then en→tgt likewise (Argos
        ja→en, then Apertium en→es), when neither is English and engines.yml does not list
        the pair; None when a leg has no engine."""
        if (
            self.options.choice != "auto"
            or PIVOT in (src, tgt)
            or (src, tgt) in self.options.routes
        ):
            return None
        try:
            first, _ = self.choose(src, PIVOT)
            second, _ = self.choose(PIVOT, tgt)
        except EngineError:
            return None
        if first is second:
            return None  # one engine for both legs pivots by itself (Argos, CTranslate2)
        key = (id(first), id(second))
        if key not in self._pivots:  # the same object every time: fallback() finds it by identity
            self._pivots[key] = PivotEngine(first, second)
        engine = self._pivots[key]
        route = engine.route(src, tgt)
        return (engine, route) if route is not None else None

    def covered(self, src: str, tgt: str) -> bool:
        """Whether some engine covers src→tgt on this machine (a language into itself is)."""
        if src == tgt:
            return True
        try:
            return bool(self._candidates(src, tgt))
        except EngineError:  # e.g. libretranslate without --url
            return False

    def choose(self, src: str, tgt: str) -> tuple[Engine, Route]:
        """The engine and route for src→tgt, or EngineError naming what to install.

        A route its engine does not trust (``check_route``: a known-bad package, a model that
        does not load) is passed over for the next engine that covers the pair, with a note;
        when it is the last one, a suspect route is used (with a note) and a broken one fails.
        """
        candidates = self._candidates(src, tgt)
        if not candidates:
            raise EngineError(self._no_engine_message(src, tgt))
        for i, (engine, route) in enumerate(candidates):
            problem = engine.check_route(src, tgt) if isinstance(engine, RouteChecking) else None
            if problem is None:
                return engine, route
            if i + 1 < len(candidates):
                self.note(f"{src}→{tgt}: {problem.line}; using {candidates[i + 1][0].name} instead")
                continue
            if problem.fatal:
                raise EngineError(problem.line)
            self.note(f"{src}→{tgt}: {problem.line}")
        return candidates[-1]

    def fallback(self, src: str, tgt: str, after: Engine) -> tuple[Engine, Route] | None:
        """With ``--engine auto``, the next engine after ``after`` that covers src→tgt (and
        trusts its route); None otherwise."""
        candidates = self._candidates(src, tgt)
        engines = [engine for engine, _ in candidates]
        # by identity: several ctranslate2 engines (one per model named in engines.yml) share a name
        position = next((i for i, engine in enumerate(engines) if engine is after), None)
        if position is None:
            return None
        for engine, route in candidates[position + 1 :]:
            problem = engine.check_route(src, tgt) if isinstance(engine, RouteChecking) else None
            if problem is None:
                return engine, route
        return None

    def _no_engine_message(self, src: str, tgt: str) -> str:
        install = f"`pipeline models install {src} {tgt}` (online"
        if PIVOT not in (src, tgt):
            install += self._pivot_advice(src, tgt)
        install += ")"
        choice = self.options.choice
        if choice == "argos" and self.get("argos") is None:
            return f"the Argos engine is not available in this installation, so {src}→{tgt} cannot be translated"
        if choice == "apertium":
            if self.get("apertium") is None:
                return "Apertium is not installed: apt-get install apertium apertium-eng-spa"
            return f"Apertium cannot translate {src}→{tgt} (it covers en↔es only)"
        if choice == "libretranslate":
            return f"the LibreTranslate server at {self.options.url} cannot translate {src}→{tgt}"
        if choice == "ctranslate2":
            return (
                f"no installed CTranslate2 model translates {src}→{tgt}: install an OPUS-MT zip "
                "or a model folder with `pipeline models install` (see `pipeline models list`)"
            )
        if (src, tgt) in self.options.routes:
            listed = ", ".join(self.options.routes[(src, tgt)])
            return (
                f"none of the routes engines.yml lists for {src}-{tgt} ({listed}) is installed: "
                f"install one, or an Argos model with {install}"
            )
        return (
            f"no engine can translate {src}→{tgt}: install its Argos model with {install}, "
            "or from a file with `pipeline models install FILE.argosmodel`"
        )

    def _pivot_advice(self, src: str, tgt: str) -> str:
        """How to pivot through English, naming only the leg(s) no engine covers yet: never
        a model that is installed."""
        legs = [(src, PIVOT), (PIVOT, tgt)]
        missing = [leg for leg in legs if not self.covered(*leg)]
        if len(missing) == len(legs) or self.options.choice not in ("auto", "argos"):
            return f"; or {src} {PIVOT} and {PIVOT} {tgt}, to pivot through English"
        (a, b), (done_a, done_b) = missing[0], next(leg for leg in legs if leg not in missing)
        return (
            f"; or `pipeline models install {a} {b}`, to pivot through English: "
            f"{done_a}→{done_b} already has an engine"
        )
