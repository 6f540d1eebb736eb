"""Makes ``pytest scenarios/`` collect the scenario YAML files (see conformance/plugin.py)."""

from printbench.conformance.plugin import (  # noqa: F401  (pytest finds hooks by name)
    pytest_addoption,
    pytest_collect_file,
    pytest_configure,
    pytest_sessionfinish,
)
