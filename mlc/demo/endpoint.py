"""`POST /api/classify`: the demo's JSON endpoint for any HTTP client, on the server Gradio already runs, beside the
page and its Gradio-client API. Texts go through the same scoring worker as the page (mlc.demo.batching).

    curl -s localhost:7860/api/classify -H 'content-type: application/json' \\
         -d '{"texts": ["My card was charged twice"], "language": "en", "thresholds": {"billing": 0.3}}'

answers {"results": [{"labels": [...], "scores": {...}, "thresholds": {...}, "language": ..., "detected_language":
..., "note": ...}, ...]} in the order of the texts; with "explain": K (1 to 20, for up to 32 texts) each result also
holds "words": {label: [[word, effect], ...]}, the K strongest words of each predicted label, as `mlc.predict
--explain K` writes them. A bad request is a 4xx status with {"error": "one line"}: 400
for a body that is not a JSON object, 422 for a field that is wrong, 413 for too many texts, 503 while the model
loads."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import Request
from fastapi.responses import JSONResponse

from mlc.core.errors import ConfigError, MlcError
from mlc.demo.service import DemoService, NotReady, friendly

ROUTE = "/api/classify"
MAX_TEXTS = 256
MAX_EXPLAINED_TEXTS = 32  # each explained text costs one more scoring per word
MAX_WORDS = 20
FIELDS = ("texts", "language", "thresholds", "explain")


class TooMany(ConfigError):
    """More texts than one request may carry (413)."""


class BadBody(ConfigError):
    """A body that is not one JSON object (400)."""


def classify(service: DemoService, payload: Any) -> dict[str, Any]:
    """The answer to one request's JSON payload; ConfigError (a wrong field) or NotReady."""
    if not isinstance(payload, dict):
        raise BadBody(f"the body must be a JSON object {{\"texts\": [...]}}, not {type(payload).__name__}")
    unknown = sorted(set(payload) - set(FIELDS))
    if unknown:
        raise ConfigError(f"unknown field '{unknown[0]}' (the fields are {', '.join(FIELDS)})")
    texts = payload.get("texts")
    if not isinstance(texts, list) or not texts:
        raise ConfigError("the field 'texts' must be a non-empty list of strings")
    if len(texts) > MAX_TEXTS:
        raise TooMany(f"the field 'texts' holds {len(texts)} texts; one request takes at most {MAX_TEXTS}")
    explain = payload.get("explain", 0)
    if isinstance(explain, bool) or not isinstance(explain, int) or not 0 <= explain <= MAX_WORDS:
        raise ConfigError(f"the field 'explain' must be a whole number of words from 0 to {MAX_WORDS}, not "
                          f"{type(explain).__name__} {explain!r}"[:200])
    if explain and len(texts) > MAX_EXPLAINED_TEXTS:
        raise TooMany(f"the field 'texts' holds {len(texts)} texts; with 'explain', one request takes at most "
                      f"{MAX_EXPLAINED_TEXTS}")
    return {"results": service.predict_many(texts, payload.get("language"), payload.get("thresholds"),
                                            explain=explain)}


STATUSES = ((NotReady, 503), (TooMany, 413), (BadBody, 400), (MlcError, 422))  # first match; anything else: 500


def status_of(error: Exception) -> int:
    return next((status for kind, status in STATUSES if isinstance(error, kind)), 500)


def add_route(app, service: DemoService) -> None:
    """Register the endpoint on Gradio's FastAPI app."""
    async def endpoint(request: Request) -> JSONResponse:
        try:
            payload = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body is not JSON (send {\"texts\": [...]} with content-type "
                                          "application/json)"}, status_code=400)
        try:
            answer = await anyio.to_thread.run_sync(classify, service, payload)
        except Exception as error:  # a refusal (4xx) or a bug (500, logged once by friendly): one message either way
            return JSONResponse({"error": friendly(error)}, status_code=status_of(error))
        return JSONResponse(answer)

    app.add_api_route(ROUTE, endpoint, methods=["POST"])
