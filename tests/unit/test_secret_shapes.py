"""What counts as a literal secret, shared by the Aspect and the environment file's guard."""

from __future__ import annotations

import pytest

from council.secret_shapes import literal_part, looks_like_secret


def test_the_literal_part_drops_every_interpolation_and_keeps_the_rest():
    assert literal_part("Bearer ${var.token} for ${azurerm_x.y.name}!") == "Bearer  for !"
    assert literal_part("${var.only}") == ""


def test_an_interpolation_does_not_count_towards_a_key_beside_it():
    # 12 literal characters after sk-: short of the 16 a key has, whatever the reference holds.
    assert not looks_like_secret("sk-${var.suffix}Ab12Cd34Ef56")
    assert looks_like_secret("sk-${var.suffix}Ab12Cd34Ef56Gh78")


@pytest.mark.parametrize("value, secret", [
    ("hf_" + "Ab1" * 7, True),  # 21 characters after hf_
    ("hf_" + "A" * 19, False),  # 19: too short for a token
    ("my_hf_" + "A" * 30, True),  # after an underscore, still a token
    ("xhf_" + "A" * 30, False),  # inside a word: not a token prefix
])
def test_hugging_face_token_shape(value, secret):
    assert looks_like_secret(value) is secret
