"""Input errors of the advisor. Each message says what is wrong, where, and how to fix it."""

from __future__ import annotations


class AdvisorInputError(ValueError):
    """A traffic, price, profile or option input is invalid (CLI exit code 2)."""


class TrafficError(AdvisorInputError):
    """A traffic profile or trace file is invalid."""


class PriceError(AdvisorInputError):
    """A price file has an unknown or missing entry, or a bad value."""


class ProfileError(AdvisorInputError):
    """A measured profile file is missing a surface or a figure."""


class OptionError(AdvisorInputError):
    """An unknown deployment option or a bad option parameter."""
