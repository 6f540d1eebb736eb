"""Package data: the built-in targets (YAML), read with importlib.resources."""
