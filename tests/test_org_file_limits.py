"""Issue 11 §3: the org file loader refuses alias bombs and files over the size limit, quickly."""

from __future__ import annotations

import pytest

from ledger.errors import RegistryError
from ledger.org_parse import MAX_NESTING, MAX_ORG_BYTES, load_org_file, load_org_text

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


DEEP = {
    "flow sequences": "people: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "flow mappings": "people: " + "{a: " * 10_000 + "x" + "}" * 10_000 + "\n",
    "block sequences": "people:\n" + "- " * 10_000 + "x\n",
}


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_deeply_nested_yaml_is_a_clear_error_not_a_recursion_error(shape):
    with pytest.raises(RegistryError) as err:
        load_org_text(DEEP[shape], "deep.yaml")
    message = str(err.value)
    line = 2 if shape.startswith("block") else 1   # where the nesting passes the limit
    assert f"deep.yaml, line {line}," in message and f"nested more than {MAX_NESTING} levels" in message


def test_nesting_as_deep_as_an_org_file_needs_is_fine():
    text = "people: " + "[" * (MAX_NESTING - 2) + "]" * (MAX_NESTING - 2) + "\n"
    with pytest.raises(RegistryError) as err:  # not a valid org file, but not refused for its depth
        load_org_text(text, "ok.yaml")
    assert "nested" not in str(err.value)


def test_steward_org_apply_refuses_a_hostile_file_and_leaves_the_store_as_it_was(tmp_path):
    from typer.testing import CliRunner

    from ledger.store import Store
    from steward.cli import app
    from tests.orgfixture import build_store

    build_store(tmp_path).close()
    db = tmp_path / "steward.duckdb"
    tables = ("org_nodes", "people", "person_roles", "claims", "estimates", "model_catalog", "audit_log")

    def snapshot() -> dict[str, list]:
        with Store(db) as store:
            return {t: store.rows(f"SELECT * FROM {t} ORDER BY ALL") for t in tables}

    before = snapshot()
    hostile = {"deep.yaml": DEEP["flow sequences"], "bomb.yaml": BOMB,
               "big.yaml": "# " + "x" * MAX_ORG_BYTES + "\nversion: 1\n"}
    expected = {"deep.yaml": "nested more than", "bomb.yaml": "aliases expand", "big.yaml": "larger than"}
    for name, text in hostile.items():
        (tmp_path / name).write_text(text)
        r = CliRunner().invoke(app, ["--db", str(db), "org", "apply", str(tmp_path / name)])
        assert r.exit_code != 0
        assert name in r.output and expected[name] in r.output, r.output
        assert "Traceback" not in r.output and "RecursionError" not in r.output
        assert not isinstance(r.exception, RecursionError)
    assert snapshot() == before
