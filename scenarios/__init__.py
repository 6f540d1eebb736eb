"""Package data: the built-in scenarios (YAML), read with importlib.resources."""
