"""printbench: printer fleet emulator and TR-069 (CWMP) conformance test bench.

This package holds only what every other package shares: the command line and the settings
that locate files outside the repository (the public standard files in ``../shared/data``).
"""

__version__ = "0.1.0"
