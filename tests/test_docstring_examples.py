"""The examples in the docstrings run and give what they show (doctest over every cfresearch module)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import cfresearch

MODULES = sorted(m.name for m in pkgutil.walk_packages(cfresearch.__path__, "cfresearch.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} docstring example(s) failed"
