"""Issue 11 §3: the org file loader refuses alias bombs and files over the size limit, quickly."""

from __future__ import annotations

import pytest

from ledger.errors import RegistryError
from ledger.org_parse import MAX_ORG_BYTES, load_org_file, load_org_text

BOMB = "\n".join(["a: &a [x, x, x, x, x, x, x, x, x]"]
                 + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)]
                 + ["people: *i", ""])


def test_an_alias_bomb_is_refused_before_it_expands():
    with pytest.raises(RegistryError, match="aliases"):
        load_org_text(BOMB, "bomb.yaml")


def test_a_few_aliases_are_fine():
    text = "defaults: &d {persona: product_owner}\nversion: 1\n"
    with pytest.raises(RegistryError) as err:  # not a valid org file, but not refused for its aliases
        load_org_text(text + "x: *d\n", "small.yaml")
    assert "aliases" not in str(err.value)


def test_an_org_file_over_the_size_limit_is_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * MAX_ORG_BYTES + "\nversion: 1\n")
    with pytest.raises(RegistryError, match="larger than"):
        load_org_file(big)
