"""Turns pydantic validation errors into short, readable details without echoing input.

Input values are left out on purpose: they may hold passwords or message bodies.
"""

from typing import Any

from pydantic import ValidationError


def describe(error: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(part) for part in item["loc"]) or "(body)", "problem": item["msg"]}
        for item in error.errors(include_url=False, include_input=False, include_context=False)
    ]


def summary(error: ValidationError) -> str:
    return "; ".join(f"{d['field']}: {d['problem']}" for d in describe(error))
