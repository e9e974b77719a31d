"""Whether the configured model server answers, for /readyz."""

from __future__ import annotations

import httpx

from bot.errors import ModelError


def check_model(base_url: str, *, timeout: float = 3.0) -> None:
    """ModelError unless `{base_url}/models` answers (any OpenAI-compatible server has it)."""
    try:
        response = httpx.get(base_url.rstrip("/") + "/models", timeout=timeout)
    except httpx.HTTPError as exc:
        raise ModelError(f"the model server does not answer ({exc.__class__.__name__})") from None
    if response.status_code >= 500:
        raise ModelError(f"the model server answers {response.status_code}")
