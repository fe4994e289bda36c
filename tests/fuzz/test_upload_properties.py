"""Property-based tests of the frame upload (``service.upload`` and ``v2/check/frames``).

The upload is the one place where a stranger's bytes reach the service: whatever the
meta JSON, the number of files or their bytes, the answer must be a clean refusal
(4xx JSON, nothing stored, no analysis queued) or an acceptance, never an exception
(HTTP 500). hypothesis builds meta documents from a valid one by mutation, so most
examples get deep into the parser instead of failing at the first check.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from django_lifecheck.models import ServiceFrame, ServiceToken, TokenState
from django_lifecheck.service import upload as upload_module
from django_lifecheck.service.api import init as api_init
from django_lifecheck.service.upload import UploadError, parse_upload
from tests.service.helpers import frame_files, jpeg_bytes, make_key, meta_for

FAST = settings(max_examples=150, deadline=None, database=None)
VIEW = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- frames -------------------------------------------------------------------------------

GOOD_JPEG = jpeg_bytes(size=(32, 24))


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG")
    return buffer.getvalue()


frame_bytes = st.one_of(
    st.just(GOOD_JPEG),
    st.just(GOOD_JPEG[: len(GOOD_JPEG) // 2]),  # truncated
    st.just(_png()),
    st.binary(max_size=64),
    st.binary(max_size=64).map(lambda b: upload_module.JPEG_MAGIC + b),
)

# -- meta documents -----------------------------------------------------------------------

json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
any_json = st.recursive(
    json_scalar,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
#: Values that a hostile page might put where a number, colour or prompt belongs.
odd_value = st.one_of(
    any_json,
    st.sampled_from([-1, -0.5, 1e20, 2**63, float("nan"), float("inf"), "100", True, "#ffffff"]),
)


@st.composite
def mutated_meta(draw, token: ServiceToken, count: int) -> str:
    """The JSON text of a valid meta with 0-3 random mutations (or plain garbage)."""
    shape = draw(st.sampled_from(["mutated", "mutated", "mutated", "json", "text"]))
    if shape == "text":
        return draw(st.text(max_size=60))
    if shape == "json":
        return json.dumps(draw(any_json))
    meta = meta_for(token, count)
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        where = draw(st.sampled_from(["root", "frame", "flash", "client", "frames_len"]))
        if where == "root":
            meta[draw(st.sampled_from(["frames", "flash", "client"]))] = draw(odd_value)
        elif where == "frame" and isinstance(meta.get("frames"), list) and meta["frames"]:
            item = draw(st.sampled_from(meta["frames"]))
            if isinstance(item, dict):
                item[draw(st.sampled_from(["t", "color", "prompt"]))] = draw(odd_value)
        elif where == "flash" and isinstance(meta.get("flash"), list) and meta["flash"]:
            step = draw(st.sampled_from(meta["flash"]))
            if isinstance(step, dict):
                step[draw(st.sampled_from(["color", "start", "end"]))] = draw(odd_value)
        elif where == "client" and isinstance(meta.get("client"), dict):
            key = draw(st.sampled_from(["camera_label", "user_agent", "width", "height"]))
            meta["client"][key] = draw(odd_value)
        elif where == "frames_len" and isinstance(meta.get("frames"), list):
            if meta["frames"] and draw(st.booleans()):
                meta["frames"].pop()
            else:
                meta["frames"].append({"t": 10**6})
    return json.dumps(meta)  # NaN/Infinity written as JSON's extension, as browsers never do


# -- the parser alone (no database, many examples) ---------------------------------------

CHALLENGES = {
    "silent": ServiceToken(actions=[], flash=[]),
    "action+flash": ServiceToken(
        actions=["LookFront", "BlinkEye"],
        flash=[
            {"color": "#FFFFFF", "duration_ms": 500},
            {"color": "#000000", "duration_ms": 450},
            {"color": "#D8D6FF", "duration_ms": 400},
        ],
    ),
}


@st.composite
def frame_list(draw) -> list[bytes]:
    """Mostly good JPEGs (so that uploads can get accepted), sometimes anything."""
    if draw(st.booleans()):
        return [GOOD_JPEG] * draw(st.integers(1, 4))
    return draw(st.lists(frame_bytes, max_size=4))


@st.composite
def meta_text(draw, token: ServiceToken, count: int) -> str | None:
    """No meta now and then; else a (mutated) meta for ``count`` frames, mostly."""
    if draw(st.integers(0, 9)) == 0:
        return None
    meta_count = count if draw(st.integers(0, 5)) else draw(st.integers(0, 5))
    return draw(mutated_meta(token, meta_count))


@st.composite
def upload_case(draw) -> tuple[ServiceToken, str | None, list[bytes]]:
    token = CHALLENGES[draw(st.sampled_from(sorted(CHALLENGES)))]
    frames = draw(frame_list())
    return token, draw(meta_text(token, len(frames))), frames


def _files(frames: list[bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"f{i}.jpg", data, "image/jpeg") for i, data in enumerate(frames)]


@FAST
@given(upload_case())
@example((CHALLENGES["silent"], "[" * 100_000, [GOOD_JPEG]))  # json: RecursionError
@example((CHALLENGES["silent"], '{"frames": [{"t": 1e20}]}', [GOOD_JPEG]))
def test_parser_raises_only_upload_error(case):
    token, meta, frames = case
    try:
        parsed = parse_upload(token, meta, _files(frames))
    except UploadError as exc:
        assert str(exc)  # a message the page can show
        event("refused")
        return
    event("accepted")
    # Accepted: everything the rules promise holds.
    assert len(parsed.frames) == len(frames) >= 1
    times = [frame["t_ms"] for frame in parsed.frames]
    assert times == sorted(times) and all(isinstance(t, int) and t >= 0 for t in times)
    assert all(t <= upload_module.MAX_TIME_MS for t in times)
    colors = {step["color"] for step in token.flash}
    assert all(frame["color"] in colors | {None} for frame in parsed.frames)
    assert all(frame["prompt"] in {*token.actions, None} for frame in parsed.frames)
    assert all(frame["jpeg"].startswith(upload_module.JPEG_MAGIC) for frame in parsed.frames)
    assert [s["color"] for s in parsed.capture["flash"]] == [s["color"] for s in token.flash]


@FAST
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.integers(), min_size=1))
def test_timestamps_are_accepted_only_when_finite_ordered_and_in_range(values):
    token = CHALLENGES["silent"]
    meta = json.dumps({"frames": [{"t": v} for v in values]})
    try:
        parsed = parse_upload(token, meta, _files([GOOD_JPEG] * len(values)))
    except UploadError:
        ok = (
            all(not isinstance(v, float) or math.isfinite(v) for v in values)
            and all(0 <= v <= upload_module.MAX_TIME_MS for v in values)
            and [round(v) for v in values] == sorted(round(v) for v in values)
        )
        assert not ok, f"{values} refused although finite, in range and ordered"
        return
    assert [f["t_ms"] for f in parsed.frames] == [round(v) for v in values]


@FAST
@given(
    challenge=st.sampled_from(sorted(CHALLENGES)),
    part=st.sampled_from(["frames", "flash", "client"]),
    field=st.sampled_from(["t", "color", "prompt", "start", "end", "width", "camera_label"]),
    value=odd_value,
)
@example(challenge="action+flash", part="frames", field="prompt", value=[1])  # unhashable
@example(challenge="silent", part="frames", field="prompt", value={"a": 1})
def test_any_json_value_in_any_field_is_accepted_or_refused_cleanly(challenge, part, field, value):
    """One field of an otherwise valid meta set to any JSON value: UploadError or fine."""
    token = CHALLENGES[challenge]
    meta = meta_for(token, 2)
    target = meta[part]
    if isinstance(target, list):
        if not target:
            return
        target[-1][field] = value
    else:
        target[field] = value
    try:
        parse_upload(token, json.dumps(meta), _files([GOOD_JPEG] * 2))
    except UploadError:
        event("refused")
    else:
        event("accepted")


# -- the whole view (database, real multipart) ---------------------------------------------

pytestmark = pytest.mark.django_db


@pytest.fixture
def exempt_key():
    cache.clear()
    return make_key("fuzz", limits_exempt=True)[0]


def _new_token(api_key, mode: str) -> ServiceToken:
    form = {"returnUrl": "https://example.com/back"}
    if mode == "action+flash":
        form.update(colors="#FFFFFF,#000000,#D8D6FF", actions="LookFront,BlinkEye")
    answer = api_init(api_key, form)
    assert answer.code == 200, answer.msg
    # The drawn flash is random; pin it so that hypothesis can replay an example (its
    # strategies may not depend on state that changes between runs).
    ServiceToken.objects.filter(token=answer.data["token"]).update(flash=CHALLENGES[mode].flash)
    return ServiceToken.objects.get(token=answer.data["token"])


@VIEW
@given(mode=st.sampled_from(sorted(CHALLENGES)), data=st.data())
def test_view_answers_json_4xx_or_202_and_refusals_change_nothing(
    client, exempt_key, django_capture_on_commit_callbacks, mode, data
):
    token = _new_token(exempt_key, mode)
    frames = data.draw(frame_list(), label="frames")
    meta = data.draw(meta_text(token, len(frames)), label="meta")
    form: dict[str, Any] = {"token": token.token, "frame": frame_files(frames)}
    if meta is not None:
        form["meta"] = meta
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("lifecheck:check-frames"), form)
    assert response.status_code in (202, 400), response.content
    event(f"HTTP {response.status_code}")
    body = response.json()
    token.refresh_from_db()
    stored = ServiceFrame.objects.filter(token=token).count()
    if response.status_code == 202:
        assert body["ok"] is True and body["status_url"]
        assert token.state == TokenState.SUBMITTED and stored == len(frames)
        assert len(queued) == 1  # the analysis, after the commit
    else:
        assert body["ok"] is False and isinstance(body["error"], str) and body["error"]
        assert token.state == TokenState.ISSUED and token.capture == {}
        assert stored == 0 and queued == []
