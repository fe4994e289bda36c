"""Init-parameter validation and envelopes (spec/protocol.md, "init")."""

from __future__ import annotations

import re

import pytest

from django_lifecheck.exceptions import InvalidParameter
from django_lifecheck.protocol import (
    ACTIONS,
    BRIGHT_COLORS,
    DARK_COLORS,
    PALETTE,
    RETURN_URL_MAX_LENGTH,
    Code,
    InitParams,
    envelope,
    is_bright,
    is_dark,
    mode_for,
    new_task_no,
    parse_init,
    return_redirect_url,
    split_list,
)

URL = "https://shop.example.com/kyc/return"


def rejected(param: str, *args, **kwargs) -> InvalidParameter:
    with pytest.raises(InvalidParameter) as info:
        parse_init(*args, **kwargs)
    assert info.value.param == param
    return info.value


# -- returnUrl ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        URL,
        "http://localhost:8000/return?next=/x",
        "HTTPS://EXAMPLE.COM",
        "https://例子.中国/回来",
        "https://a.example.com/#/result",
        "/pages/result/index",
        "pages/x/y?a=1",
        "pages/x/y?a=1&b=%E4%BD%A0&c=/d",
        "index",
        "/sub_pkg-2/pages/result",
    ],
)
def test_return_url_accepted(value):
    assert parse_init(value).return_url == value


@pytest.mark.parametrize(
    "value",
    [
        "ftp://example.com/x",
        "javascript:alert(1)",
        "//evil.example.com/x",
        "example.com/return",
        "https://",
        "https:///path",
        "http:example.com",
        "https://example.com:99999/",
        "https://exa mple.com/",
        "https://example.com/a\\b",
        "/pages//index",
        "/pages/index#frag",
        "pages/../secret",
        "pages/x?a=<b>",
        "/",
        "data:text/html,hi",
    ],
)
def test_return_url_rejected_names_value(value):
    error = rejected("returnUrl", value)
    assert "returnUrl" in str(error)
    assert repr(value)[:20] in str(error) or value[:20] in str(error)


@pytest.mark.parametrize("value", ["", "   ", None])
def test_return_url_required(value):
    error = rejected("returnUrl", value)
    assert "required" in str(error)


def test_return_url_length_boundary():
    base = "https://example.com/"
    exact = base + "a" * (RETURN_URL_MAX_LENGTH - len(base))
    assert len(exact) == RETURN_URL_MAX_LENGTH
    assert parse_init(exact).return_url == exact
    error = rejected("returnUrl", exact + "a")
    assert "129" in str(error) and "128" in str(error)


def test_return_url_length_counts_characters_not_bytes():
    path = "/pages/" + "页" * (RETURN_URL_MAX_LENGTH - len("https://e.cn/pages/"))
    value = "https://e.cn" + path
    assert len(value) == RETURN_URL_MAX_LENGTH
    assert parse_init(value).return_url == value


def test_return_url_surrounding_spaces_dropped():
    assert parse_init(f"  {URL} ").return_url == URL


# -- colors --------------------------------------------------------------------------------


def test_palette_is_fourteen_distinct_colours_split_evenly():
    assert len(set(PALETTE)) == 14
    assert all(is_bright(c) and not is_dark(c) for c in BRIGHT_COLORS)
    assert all(is_dark(c) and not is_bright(c) for c in DARK_COLORS)
    assert not is_bright("#123456") and not is_dark("#123456")


@pytest.mark.parametrize(
    "value",
    [
        "#FFFFFF,#000000",
        "#ffffff,#000000",
        "#FFFFFF，#000000",
        " #FFFFFF ,  #000000 ",
        "#FFFFFF ， #000000",
        ["#ffffff", "#000000"],
    ],
)
def test_colors_separators_spaces_and_case(value):
    assert parse_init(URL, value).colors == ("#FFFFFF", "#000000")


def test_colors_mixed_separators_and_order_kept():
    params = parse_init(URL, "#3c0636，#fff4cb,#063C3A")
    assert params.colors == ("#3C0636", "#FFF4CB", "#063C3A")


def test_colors_every_palette_colour_accepted_alone():
    for colour in PALETTE:
        assert parse_init(URL, colour.lower()).colors == (colour,)


@pytest.mark.parametrize("value", ["", "  ", None, []])
def test_colors_empty_means_not_given(value):
    assert parse_init(URL, value).colors == ()


@pytest.mark.parametrize("bad", ["#123456", "#FFF", "FFFFFF", "white", "#F FCEFD", "#0 63C3A"])
def test_colors_outside_palette_named(bad):
    error = rejected("colors", URL, f"#000000,{bad}")
    assert bad.upper() in str(error)


def test_colors_two_bright_rejected():
    error = rejected("colors", URL, "#FFFFFF,#FFD9E3")
    assert "bright" in str(error) and "dark" in str(error)
    assert "#FFFFFF,#FFD9E3" in str(error)


def test_colors_two_dark_rejected():
    error = rejected("colors", URL, "#000000,#3B3C04")
    assert "#000000,#3B3C04" in str(error)


def test_colors_duplicate_named_case_insensitively():
    error = rejected("colors", URL, "#FFFFFF,#000000,#ffffff")
    assert "'#FFFFFF'" in str(error) and "more than once" in str(error)


@pytest.mark.parametrize("value", ["#FFFFFF,,#000000", "#FFFFFF,#000000,", "，#FFFFFF"])
def test_colors_empty_item_rejected(value):
    error = rejected("colors", URL, value)
    assert "empty item" in str(error)


# -- actions -------------------------------------------------------------------------------


def test_actions_all_nine_in_order():
    wire = "，".join(reversed(ACTIONS))
    assert parse_init(URL, actions=wire).actions == tuple(reversed(ACTIONS))


def test_actions_order_kept_and_spaces_tolerated():
    params = parse_init(URL, actions=" BlinkEye , LookFront，NodHead ")
    assert params.actions == ("BlinkEye", "LookFront", "NodHead")


@pytest.mark.parametrize("bad", ["lookfront", "LOOKLEFT", "blinkEye"])
def test_actions_case_sensitive_with_hint(bad):
    error = rejected("actions", URL, actions=f"NodHead,{bad}")
    assert repr(bad) in str(error)
    assert "did you mean" in str(error)


@pytest.mark.parametrize("bad", ["Smile", "TurnAround", "Look Front"])
def test_actions_unknown_named(bad):
    error = rejected("actions", URL, actions=f"LookFront,{bad}")
    assert repr(bad) in str(error)


def test_actions_duplicate_named():
    error = rejected("actions", URL, actions="LookFront,BlinkEye,LookFront")
    assert "'LookFront'" in str(error) and "more than once" in str(error)


def test_actions_empty_item_rejected():
    assert "empty item" in str(rejected("actions", URL, actions="LookFront,,BlinkEye"))


# -- both, and modes --------------------------------------------------------------------------


def test_flash_with_actions_requires_lookfront():
    error = rejected("actions", URL, "#FFFFFF,#000000", "BlinkEye,ShakeHead")
    assert "LookFront" in str(error) and "BlinkEye,ShakeHead" in str(error)
    params = parse_init(URL, "#FFFFFF,#000000", "BlinkEye,LookFront")
    assert params.mode == "action+flash"


def test_lookfront_not_needed_without_colours():
    assert parse_init(URL, actions="BlinkEye").mode == "action"


@pytest.mark.parametrize(
    ("colors", "actions", "mode"),
    [
        ("", "", "silent"),
        ("", "NodHead", "action"),
        ("#000000", "", "flash"),
        ("#000000,#FFFFFF", "LookFront", "action+flash"),
    ],
)
def test_modes(colors, actions, mode):
    params = parse_init(URL, colors, actions)
    assert params.mode == mode
    assert mode_for(params.colors, params.actions) == mode


def test_init_params_frozen_and_form():
    params = parse_init(URL, "#ffffff，#000000", "LookFront,BlinkEye")
    with pytest.raises(AttributeError):
        params.colors = ()  # type: ignore[misc]
    assert params.as_form() == {
        "returnUrl": URL,
        "colors": "#FFFFFF,#000000",
        "actions": "LookFront,BlinkEye",
    }
    assert InitParams(URL).as_form() == {"returnUrl": URL}


def test_split_list():
    assert split_list("a, b，c") == ["a", "b", "c"]
    assert split_list("  ") == []
    assert split_list(None) == []
    assert split_list("a,,b") == ["a", "", "b"]
    assert split_list([" a ", "b"]) == ["a", "b"]


# -- service-side helpers --------------------------------------------------------------------


def test_task_numbers_are_24_unique_digits():
    numbers = {new_task_no() for _ in range(2000)}
    assert len(numbers) == 2000
    assert all(re.fullmatch(r"\d{24}", n) for n in numbers)


def test_envelope():
    body = envelope(Code.OK, data={"token": "t"})
    assert body["code"] == 200 and type(body["code"]) is int
    assert body["msg"] == "成功"
    assert re.fullmatch(r"\d{24}", body["taskNo"])
    assert body["data"] == {"token": "t"}
    pending = envelope(201, task_no="1" * 24)
    assert pending == {"code": 201, "msg": "未查询到检测结果", "taskNo": "1" * 24}
    assert envelope(400, "参数错误: returnUrl")["msg"] == "参数错误: returnUrl"


@pytest.mark.parametrize(
    ("return_url", "success", "expected"),
    [
        (URL, True, URL + "?token=T&success=true"),
        (URL + "?a=1", False, URL + "?a=1&token=T&success=false"),
        ("https://a.cn/#/done", True, "https://a.cn/#/done?token=T&success=true"),
        ("https://a.cn/r?", True, "https://a.cn/r?token=T&success=true"),
        ("/pages/r/index", False, "/pages/r/index?token=T&success=false"),
    ],
)
def test_return_redirect_url(return_url, success, expected):
    assert return_redirect_url(return_url, "T", success) == expected
