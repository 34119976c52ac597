"""Offline translation of movement statements between Spanish, English and Japanese."""

__version__ = "0.1.0"
