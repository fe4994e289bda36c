"""Property-based tests of the protocol's init validation (``django_lifecheck.protocol``).

The example tests in tests/test_protocol.py pin the documented cases; these let
hypothesis look for the inputs nobody thought of. Two promises matter to callers:
the validators raise nothing but :class:`InvalidParameter` (the service turns exactly
that into code 400; anything else would be an HTTP 500), and every combination the
spec allows is accepted and normalised to a fixed point.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from django_lifecheck.exceptions import InvalidParameter
from django_lifecheck.protocol import (
    ACTIONS,
    BRIGHT_COLORS,
    DARK_COLORS,
    PALETTE,
    RETURN_URL_MAX_LENGTH,
    InitParams,
    is_bright,
    is_dark,
    join_list,
    parse_init,
    split_list,
    validate_actions,
    validate_colors,
    validate_return_url,
)

FUZZ = settings(max_examples=100, deadline=None, database=None)

# -- strategies ---------------------------------------------------------------------------

#: Text biased towards the characters the validators care about, plus anything at all.
_SPECIAL = [*",，:/?#[]@%.\\ \t\n\x00\x7f", "http://", "https://", "LookFront", "#FFF"]
hostile_text = st.one_of(
    st.text(),
    st.lists(st.sampled_from(_SPECIAL) | st.text(max_size=4), max_size=12).map("".join),
)
hostile_list = st.lists(hostile_text, max_size=6)
hostile_value = st.one_of(st.none(), hostile_text, hostile_list)

separator = st.sampled_from([",", "，"])
padding = st.sampled_from(["", " ", "  ", "\t"])


def random_case(draw, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.lower() if flip else c.upper() for c, flip in zip(text, flips))


@st.composite
def wire_list(draw, items: list[str]) -> str:
    """``items`` as a wire string: either separator, random spaces around each item."""
    parts = [draw(padding) + item + draw(padding) for item in items]
    out = parts[0] if parts else ""
    for part in parts[1:]:
        out += draw(separator) + part
    return out


@st.composite
def valid_colors(draw) -> list[str]:
    """0, 1, or >= 2 distinct palette colours with at least one bright and one dark."""
    kind = draw(st.sampled_from(["none", "one", "many"]))
    if kind == "none":
        return []
    if kind == "one":
        return [draw(st.sampled_from(PALETTE))]
    bright = draw(st.lists(st.sampled_from(BRIGHT_COLORS), min_size=1, unique=True))
    dark = draw(st.lists(st.sampled_from(DARK_COLORS), min_size=1, unique=True))
    return draw(st.permutations(bright + dark))


@st.composite
def valid_actions(draw, with_look_front: bool = False) -> list[str]:
    chosen = draw(st.lists(st.sampled_from(ACTIONS), unique=True, max_size=len(ACTIONS)))
    if with_look_front and "LookFront" not in chosen:
        chosen.insert(draw(st.integers(0, len(chosen))), "LookFront")
    return chosen


_SEGMENT = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)
_HOST = st.from_regex(r"[a-z0-9]{1,20}(\.[a-z0-9]{1,10}){0,2}", fullmatch=True)
_QUERY = st.from_regex(r"[A-Za-z0-9=&%_.~-]{0,20}", fullmatch=True)


@st.composite
def valid_return_url(draw) -> str:
    """An http(s) URL with a host, or a mini-program page path; at most 128 characters."""
    segments = draw(st.lists(_SEGMENT, min_size=1, max_size=4))
    if draw(st.booleans()):
        scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
        port = draw(st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}")))
        url = f"{scheme}://{draw(_HOST)}{port}/" + "/".join(segments)
    else:
        url = draw(st.sampled_from(["", "/"])) + "/".join(segments)
    if draw(st.booleans()):
        url += "?" + draw(_QUERY)
    assume(len(url) <= RETURN_URL_MAX_LENGTH)
    return url


# -- never anything but InvalidParameter --------------------------------------------------


def _accepts_or_refuses(call, *args):
    try:
        return call(*args)
    except InvalidParameter:
        return None


@FUZZ
@given(hostile_text)
@example("http://[")  # urlsplit: "Invalid IPv6 URL"
@example("https://exa\uff03mple.com/")  # urlsplit: invalid under NFKC normalization
@example("http://host:99999/")
def test_return_url_raises_only_invalid_parameter(value):
    accepted = _accepts_or_refuses(validate_return_url, value)
    if accepted is not None:
        # What is accepted is the stripped input, within the documented limits.
        assert accepted == value.strip()
        assert 0 < len(accepted) <= RETURN_URL_MAX_LENGTH
        assert not re.search(r"[\s\x00-\x1f\x7f\\]", accepted)


@FUZZ
@given(hostile_value)
def test_colors_raise_only_invalid_parameter(value):
    accepted = _accepts_or_refuses(validate_colors, value)
    if accepted is not None:
        assert set(accepted) <= set(PALETTE)
        assert len(set(accepted)) == len(accepted)


@FUZZ
@given(hostile_value)
def test_actions_raise_only_invalid_parameter(value):
    accepted = _accepts_or_refuses(validate_actions, value)
    if accepted is not None:
        assert set(accepted) <= set(ACTIONS)
        assert len(set(accepted)) == len(accepted)


@FUZZ
@given(hostile_text | st.none(), hostile_value, hostile_value)
def test_parse_init_raises_only_invalid_parameter(return_url, colors, actions):
    params = _accepts_or_refuses(parse_init, return_url, colors, actions)
    if params is not None:
        assert isinstance(params, InitParams)
        if params.colors and params.actions:
            assert "LookFront" in params.actions


@FUZZ
@given(hostile_value)
def test_split_list_never_raises_and_strips(value):
    items = split_list(value)
    assert all(item == item.strip() for item in items)
    assert all(isinstance(item, str) for item in items)


# -- every valid combination is accepted --------------------------------------------------


@st.composite
def valid_init(draw) -> tuple[str, list[str], list[str]]:
    colors = draw(valid_colors())
    actions = draw(valid_actions(with_look_front=bool(colors)))
    return draw(valid_return_url()), colors, actions


@FUZZ
@given(valid_init(), st.data())
def test_every_valid_wire_combination_is_accepted(combo, data):
    url, colors, actions = combo
    wire_colors = data.draw(wire_list([random_case(data.draw, c) for c in colors]))
    wire_actions = data.draw(wire_list(actions))
    params = parse_init(url, wire_colors, wire_actions)
    assert params.return_url == url
    assert params.colors == tuple(colors)  # order kept, upper-cased
    assert params.actions == tuple(actions)  # order kept, exact case
    assert params.mode == (
        "action+flash"
        if colors and actions
        else "flash"
        if colors
        else "action"
        if actions
        else "silent"
    )


@FUZZ
@given(valid_init())
def test_python_sequences_are_accepted_like_the_wire_form(combo):
    url, colors, actions = combo
    wire = parse_init(url, join_list(colors), join_list(actions))
    assert parse_init(url, colors, actions) == wire


# -- the rules refuse what they should ---------------------------------------------------


@FUZZ
@given(
    st.lists(st.sampled_from(BRIGHT_COLORS), min_size=2, unique=True)
    | st.lists(st.sampled_from(DARK_COLORS), min_size=2, unique=True)
)
def test_two_or_more_colours_of_one_kind_are_refused(colors):
    with pytest.raises(InvalidParameter, match="bright and one dark"):
        validate_colors(colors)


@FUZZ
@given(valid_colors().filter(bool), valid_actions().filter(lambda a: a and "LookFront" not in a))
def test_flash_with_actions_needs_look_front(colors, actions):
    with pytest.raises(InvalidParameter, match="LookFront"):
        parse_init("https://example.com/r", colors, actions)


@FUZZ
@given(valid_actions().filter(bool), st.data())
def test_a_repeated_item_is_refused(actions, data):
    repeated = data.draw(st.sampled_from(actions))
    with pytest.raises(InvalidParameter, match="more than once"):
        validate_actions([*actions, repeated])


@FUZZ
@given(valid_actions().filter(bool), st.data())
def test_actions_are_case_sensitive(actions, data):
    name = data.draw(st.sampled_from(actions))
    assume(name.lower() != name)
    with pytest.raises(InvalidParameter, match="did you mean"):
        validate_actions([*[a for a in actions if a != name], name.lower()])


# -- normalisation is a fixed point; join and split are inverse ---------------------------


@FUZZ
@given(valid_init(), st.data())
def test_normalisation_is_idempotent(combo, data):
    url, colors, actions = combo
    wire_colors = data.draw(wire_list([random_case(data.draw, c) for c in colors]))
    once = parse_init(f"  {url} ", wire_colors, data.draw(wire_list(actions)))
    form = once.as_form()
    twice = parse_init(form["returnUrl"], form.get("colors"), form.get("actions"))
    assert twice == once
    assert twice.as_form() == form
    assert validate_colors(once.colors) == once.colors


@FUZZ
@given(hostile_value)
def test_colour_normalisation_is_idempotent_on_anything_accepted(value):
    first = _accepts_or_refuses(validate_colors, value)
    if first is not None:
        assert validate_colors(join_list(first)) == first
        assert all(is_bright(c) or is_dark(c) for c in first)


#: Items that survive a wire round trip: no separator, no surrounding whitespace.
wire_item = st.text(min_size=1).filter(lambda s: s == s.strip() and not re.search("[,，]", s))


@FUZZ
@given(st.lists(wire_item, min_size=1, max_size=8))
def test_join_then_split_round_trips(items):
    assert split_list(join_list(items)) == items


@FUZZ
@given(st.lists(wire_item, min_size=1, max_size=8), st.data())
def test_split_then_join_gives_the_canonical_form(items, data):
    wire = data.draw(wire_list(items))
    assert join_list(split_list(wire)) == ",".join(items)
