"""The analysis of an upload, as a Django task.

Inline by default (``ImmediateBackend``), on workers when ``TASKS`` configures a queue
backend under the ``SERVICE_TASK_BACKEND`` alias. Whatever happens, the token ends
with a final result: engine errors are 203 ``bad_input``, anything unexpected 203
``internal_error`` (logged), so a check is never stuck in "analysing".
"""

from __future__ import annotations

import logging

from .. import conf
from ..exceptions import ConfigurationError, EngineUnavailable
from ..models import ServiceToken
from ..protocol import Code
from . import state
from .engine_bridge import engine_config, load_engine
from .task_compat import task

logger = logging.getLogger(__name__)

#: Codes the engine may decide; anything else from it is treated as a failed check.
VERDICT_CODES = frozenset({Code.OK, Code.NOT_PASSED, Code.CHECK_FAILED})


@task()
def analyse_upload(token_pk: int) -> int | None:
    """Task entry point; returns the stored result code (for the task's result)."""
    token = run_analysis(token_pk)
    return token.result_code if token is not None else None


def enqueue_analysis(token_pk: int) -> None:
    """Queue the analysis on the configured task backend (runs now if immediate).

    If the task cannot even be queued (unknown backend alias, broker down), the check
    ends at once as 203 ``internal_error`` instead of waiting for nothing.
    """
    alias = conf.get("SERVICE_TASK_BACKEND")
    try:
        analyse_upload.using(backend=alias).enqueue(token_pk)
    except Exception:
        logger.exception("lifecheck: could not queue the analysis on TASKS[%r]", alias)
        state.finish(token_pk, Code.CHECK_FAILED, "internal_error")


def run_analysis(token_pk: int) -> ServiceToken | None:
    """Analyse the token's frames and store the final result."""
    token = ServiceToken.objects.filter(pk=token_pk).first()
    if token is None or token.is_final:
        return token
    try:
        verdict = _analyse(token)
    except EngineUnavailable as exc:
        logger.error("lifecheck: engine unavailable for token %s: %s", token.public_id, exc)
        return state.finish(token_pk, Code.CHECK_FAILED, "engine_unavailable")
    except ConfigurationError:
        logger.exception("lifecheck: the engine settings are wrong (token %s)", token.public_id)
        return state.finish(token_pk, Code.CHECK_FAILED, "internal_error")
    except Exception as exc:
        engine = _engine_or_none()
        if engine is not None and isinstance(exc, engine.EngineError):
            logger.info("lifecheck: engine refused token %s: %s", token.public_id, exc)
            return state.finish(
                token_pk, Code.CHECK_FAILED, "bad_input", verdict={"error": str(exc)}
            )
        logger.exception("lifecheck: analysis of token %s crashed", token.public_id)
        return state.finish(token_pk, Code.CHECK_FAILED, "internal_error")
    code = verdict.code if verdict.code in VERDICT_CODES else Code.CHECK_FAILED
    return state.finish(
        token_pk,
        code,
        verdict.reason,
        verdict=verdict.to_dict(),
        portrait_jpeg=verdict.portrait_jpeg if code == Code.OK else None,
    )


def _engine_or_none():
    try:
        return load_engine()
    except EngineUnavailable:
        return None


def _analyse(token: ServiceToken):
    """Build the engine's inputs from the stored upload and run it."""
    engine = load_engine()
    from ..engine.types import Challenge, ClientInfo, FlashStep, Frame

    capture = token.capture or {}
    challenge = Challenge(
        actions=tuple(token.actions),
        flash=tuple(
            FlashStep(color=s["color"], start_ms=s["start"], end_ms=s["end"])
            for s in capture.get("flash", [])
        ),
    )
    frames = [
        Frame(
            jpeg=bytes(f.jpeg),
            t_ms=f.t_ms,
            color=f.color or None,
            prompt=f.prompt or None,
        )
        for f in token.frames.order_by("index")
    ]
    client = ClientInfo(**capture.get("client", {}))
    config = engine_config(engine)  # before analyze: its errors are not the user's
    return engine.analyze(challenge, frames, client, config)
