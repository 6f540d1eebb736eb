"""Package data: the built-in profiles (YAML), read with importlib.resources."""
