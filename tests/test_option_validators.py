"""The option validators every plugin declares its options with (``resizer_plugin.zoo.contract``), each held to its
rule over generated values (Hypothesis; derandomized, few examples): what it accepts, what it returns, what it
refuses and with which error, and the range it declares. Each validator is built inside the test, so that a mutation
of its factory is seen (the plugins build theirs at import)."""
import math
import os

import pytest
from hypothesis import given, settings, strategies as st

from resizer_plugin.zoo.contract import (Option, boolean, choice, integer, mapping, number, optional, path, size2d,
                                         text)
from resizer_plugin.zoo.contract.options import Bounds

FEW = settings(max_examples=40, deadline=None, derandomize=True, database=None)
NOT_NUMBERS = st.one_of(st.none(), st.booleans(), st.text(max_size=3), st.lists(st.integers(), max_size=2))
ends = st.one_of(st.none(), st.integers(-50, 50))


def _refused(validate, value):
    """The exception type ``validate(value)`` raises (TypeError or ValueError), or None where it accepts."""
    try:
        validate(value)
    except (TypeError, ValueError) as error:
        return type(error), str(error)
    return None


@FEW
@given(low=ends, high=ends, value=st.integers(-60, 60))
def test_integer_accepts_exactly_its_range_and_declares_it(low, high, value):
    validate = integer(low, high)
    inside = (low is None or value >= low) and (high is None or value <= high)
    if inside:
        assert validate(value) == value and type(validate(value)) is int
    else:
        assert _refused(validate, value)[0] is ValueError
    assert validate.bounds == (None if low is None and high is None else Bounds(low, high))
    assert Option(validate, 0).bounds == validate.bounds


@FEW
@given(value=st.one_of(NOT_NUMBERS, st.floats(allow_nan=False)))
def test_integer_refuses_what_is_no_integer_with_a_type_error(value):
    assert _refused(integer(), value) == (TypeError, "must be an integer")


@pytest.mark.parametrize("low, high, value, message", [
    (1, 4, 0, "must be between 1 and 4"), (1, 4, 5, "must be between 1 and 4"), (1, None, 0, "must be >= 1"),
    (None, 4, 5, "must be <= 4"),
])
def test_integer_says_its_range(low, high, value, message):
    assert _refused(integer(low, high), value) == (ValueError, message)


@FEW
@given(low=st.one_of(st.none(), st.floats(-5, 5)), high=st.one_of(st.none(), st.floats(-5, 5)),
       exclusive=st.booleans(), value=st.floats(-6, 6))
def test_number_accepts_exactly_its_range(low, high, exclusive, value):
    validate = number(low, high, min_exclusive=exclusive)
    above = low is None or (value > low if exclusive else value >= low)
    inside = above and (high is None or value <= high)
    if inside:
        assert validate(value) == value and type(validate(value)) is float
    else:
        assert _refused(validate, value)[0] is ValueError


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_number_refuses_what_is_not_finite(value):
    assert _refused(number(), value) == (ValueError, "must be a finite number")


@FEW
@given(value=NOT_NUMBERS)
def test_number_refuses_what_is_no_number_and_takes_integers_as_floats(value):
    assert _refused(number(), value) == (TypeError, "must be a number")
    assert number()(3) == 3.0 and type(number()(3)) is float


@pytest.mark.parametrize("low, high, exclusive, value, message", [
    (0, 1, False, 2, "must be between 0 and 1"), (0, None, True, 0, "must be > 0"),
    (0, None, False, -1, "must be >= 0"),
    (None, 1, False, 2, "must be <= 1"),
])
def test_number_says_its_range(low, high, exclusive, value, message):
    assert _refused(number(low, high, min_exclusive=exclusive), value) == (ValueError, message)


@FEW
@given(value=st.one_of(st.booleans(), st.integers(0, 1), st.text(max_size=4), st.none()))
def test_boolean_accepts_only_true_and_false(value):
    if isinstance(value, bool):
        assert boolean()(value) is value
    else:
        assert _refused(boolean(), value) == (TypeError, "must be true or false")


def test_choice_accepts_only_its_values_and_suggests_the_closest():
    validate = choice(["bilinear", "bicubic"])
    assert validate("bicubic") == "bicubic"
    assert _refused(validate, "bilinaer") == (ValueError, "must be one of: bilinear, bicubic (did you mean "
                                                          "'bilinear'?)")
    assert _refused(validate, 1) == (TypeError, "must be one of: bilinear, bicubic")


@FEW
@given(side=st.integers(1, 40), value=st.lists(st.one_of(st.integers(-2, 45), st.booleans(), st.floats(1, 4)),
                                                 max_size=3))
def test_size2d_accepts_two_sides_within_its_largest(side, value):
    validate = size2d(side)
    good = len(value) == 2 and all(type(v) is int and 1 <= v <= side for v in value)
    if good:
        assert validate(value) == tuple(value) and validate(tuple(value)) == tuple(value)
    else:
        assert _refused(validate, value)[0] is (TypeError if len(value) != 2 else ValueError)
    assert validate.bounds == Bounds(1, side)


@pytest.mark.parametrize("value", ["ab", b"ab", 7, None, {"h": 1, "w": 2}])
def test_size2d_refuses_what_is_no_pair(value):
    assert _refused(size2d(), value) == (TypeError, "must be [height, width]")


def test_size2d_says_its_largest_side():
    assert _refused(size2d(8), [9, 1]) == (ValueError, "must be two integers [height, width] between 1 and 8")


@FEW
@given(value=st.one_of(st.text(max_size=5), st.none(), st.integers()))
def test_text_is_a_string_with_something_in_it(value):
    if isinstance(value, str) and value.strip():
        assert text()(value) == value
    else:
        assert _refused(text(), value) == (TypeError, "must be a non-empty string")


@FEW
@given(value=st.text(min_size=1, max_size=8))
def test_path_expands_home_and_refuses_control_characters(value):
    controls = any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value)
    if not value.strip():
        assert _refused(path(), value)[0] is TypeError
    elif controls:
        assert _refused(path(), value) == (ValueError, "must hold no control characters (line breaks, tabs)")
    else:
        assert path()(value) == os.path.expanduser(value)
    assert path()("~/x") == os.path.join(os.path.expanduser("~"), "x")


def test_mapping_is_copied_and_nothing_else_is_one():
    given_mapping = {"a": 1}
    copied = mapping()(given_mapping)
    assert copied == given_mapping and copied is not given_mapping
    assert _refused(mapping(), [("a", 1)]) == (TypeError, "must be a mapping")


def test_optional_passes_null_and_keeps_the_range_of_what_it_wraps():
    validate = optional(integer(1, 3))
    assert validate(None) is None and validate(2) == 2 and _refused(validate, 4)[0] is ValueError
    assert validate.bounds == Bounds(1, 3) and optional(text()).bounds is None


@FEW
@given(side=st.integers(2, 40), height=st.integers(1, 40), width=st.integers(1, 40))
def test_size2d_returns_height_then_width(side, height, width):
    pair = [min(height, side), min(width, side)]
    assert size2d(side)(pair) == (pair[0], pair[1]) and size2d(side)([1, 1]) == (1, 1)
    assert _refused(size2d(side), [0, pair[1]])[0] is ValueError


def test_number_takes_its_lower_end_unless_told_it_is_exclusive():
    assert number(0.0)(0.0) == 0.0 and _refused(number(0.0, min_exclusive=True), 0.0)[0] is ValueError


def test_an_option_has_no_help_unless_given_and_its_default_is_kept():
    assert Option(integer()).help == "" and Option(integer()).required and Option(integer(), 3).default == 3


def test_did_you_mean_names_every_close_word_up_to_three_and_nothing_when_none_is_close():
    from resizer_plugin.zoo.contract import did_you_mean

    assert did_you_mean("filter", ["filters", "xyz"]) == " (did you mean 'filters'?)"
    # equally close: in difflib's order
    assert did_you_mean("abcd", ["abce", "abcf"]) == " (did you mean 'abcf' or 'abce'?)"
    assert did_you_mean("abcd", ["abce", "abcf", "abcg", "abch"]).count(" or ") == 2  # three at most
    assert did_you_mean("filter", ["zzz", "qqq"]) == ""


def test_an_option_error_names_the_kind_the_plugin_and_the_key_where_there_is_one():
    from resizer_plugin.zoo.contract import OptionError

    assert str(OptionError("stage", "resize", "target_size", "is required")) == (
        "stage 'resize', option 'target_size': is required")
    assert str(OptionError("stage", "resize", None, "options must be a mapping")) == (
        "stage 'resize': options must be a mapping")


def test_a_plugin_with_no_options_given_takes_its_defaults_and_its_errors_name_it():
    from resizer_plugin.zoo.contract import Configurable

    plugin = Configurable("gain", options={"factor": Option(integer(1, 4), 2)})
    assert plugin.validate(None) == {"factor": 2} == plugin.validate({})
    with pytest.raises(ValueError, match=r"^plugin 'gain', option 'factor': must be between 1 and 4 \(got 9\)$"):
        plugin.validate({"factor": 9})
    with pytest.raises(ValueError, match=r"^plugin 'gain': options must be a mapping, got \[1\]$"):
        plugin.validate([1])
    with pytest.raises(ValueError, match=r"^plugin 'gain', option 'factr': unknown option \(did you mean 'factor'\?\); "
                                         r"known options: factor$"):
        plugin.validate({"factr": 2})
    with pytest.raises(ValueError, match=r"^plugin 'none', option 'x': unknown option; known options: \(none\)$"):
        Configurable("none", options={}).validate({"x": 1})
    with pytest.raises(ValueError, match=r"^plugin 'gain', option 'factor': is required$"):
        Configurable("gain", options={"factor": Option(integer())}).validate({})
