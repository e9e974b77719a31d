"""Whether the configured model server answers, for /readyz."""

from __future__ import annotations

import httpx

from bot.errors import ModelError


def check_model(base_url: str, key: str | None, *, timeout: float = 3.0) -> None:
    """ModelError unless the server at `base_url` answers `GET {base_url}/models` (any answer but
    a gateway's "the server behind me is down": not every stand-in lists its models)."""
    try:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = httpx.get(base_url.rstrip("/") + "/models", headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise ModelError(f"the model server does not answer ({exc.__class__.__name__})") from None
    if response.status_code in (401, 403):
        raise ModelError("the model server refuses the key (OPENAI_API_KEY)")
    if response.status_code in (502, 503, 504):
        raise ModelError(f"the model server answers {response.status_code}")
