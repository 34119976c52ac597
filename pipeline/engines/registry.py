"""Choosing an engine for a language pair: ``--engine auto|argos|apertium|libretranslate``."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from pipeline.engines.base import Engine, EngineError, Route

ENGINE_CHOICES = ("auto", "argos", "apertium", "libretranslate")


@dataclass
class EngineOptions:
    """What the user said about engines on the command line."""

    choice: str = "auto"
    url: str | None = None
    api_key: str | None = None
    lt_concurrency: int | None = None  # LibreTranslate batches in flight (None: the default)


@dataclass
class EngineSet:
    """The engines of one run, created lazily and kept for the whole run (models load once)."""

    options: EngineOptions = field(default_factory=EngineOptions)
    _engines: dict[str, Engine | None] = field(default_factory=dict)

    @classmethod
    def with_engines(cls, choice: str, engines: dict[str, Engine]) -> EngineSet:
        """An engine set holding ready-made engines (tests use this for their test double)."""
        return cls(EngineOptions(choice=choice), dict(engines))

    def get(self, name: str) -> Engine | None:
        """The engine called ``name``, or None when it cannot be used on this machine."""
        if name not in self._engines:
            self._engines[name] = self._create(name)
        return self._engines[name]

    def _create(self, name: str) -> Engine | None:
        if name == "apertium":
            from pipeline.engines.apertium import ApertiumEngine

            engine = ApertiumEngine()
            return engine if engine.available() else None
        if name == "argos":
            try:
                module = importlib.import_module("pipeline.engines.argos")
            except ImportError:
                return None
            return module.ArgosEngine()
        if name == "libretranslate":
            if not self.options.url:
                raise EngineError("--engine libretranslate needs --url URL of the server")
            module = importlib.import_module("pipeline.engines.libretranslate")
            extra = {}
            if self.options.lt_concurrency:
                extra["concurrency"] = self.options.lt_concurrency
            return module.LibreTranslateEngine(
                self.options.url, api_key=self.options.api_key, **extra
            )
        raise EngineError(f"unknown engine {name!r}: choose from {', '.join(ENGINE_CHOICES)}")

    def choose(self, src: str, tgt: str) -> tuple[Engine, Route]:
        """The engine and route for src→tgt, or EngineError naming what to install."""
        names = ["argos", "apertium"] if self.options.choice == "auto" else [self.options.choice]
        for name in names:
            engine = self.get(name)
            if engine is None:
                continue
            route = engine.route(src, tgt)
            if route is not None:
                return engine, route
        raise EngineError(self._no_engine_message(src, tgt))

    def _no_engine_message(self, src: str, tgt: str) -> str:
        install = f"`pipeline models install {src} {tgt}`"
        if "en" not in (src, tgt):
            install += f" (or {src} en and en {tgt}, to pivot through English)"
        choice = self.options.choice
        if choice == "argos" and self.get("argos") is None:
            return f"the Argos engine is not available in this installation, so {src}→{tgt} cannot be translated"
        if choice == "apertium":
            if self.get("apertium") is None:
                return "Apertium is not installed: apt-get install apertium apertium-eng-spa"
            return f"Apertium cannot translate {src}→{tgt} (it covers en↔es only)"
        if choice == "libretranslate":
            return f"the LibreTranslate server at {self.options.url} cannot translate {src}→{tgt}"
        return f"no engine can translate {src}→{tgt}: install an Argos model with {install}"
