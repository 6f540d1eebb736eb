"""The printer's embedded web server: status and configuration pages, and their JSON twin."""

from printbench.emulator.ews.app import create_ews_app

__all__ = ["create_ews_app"]
