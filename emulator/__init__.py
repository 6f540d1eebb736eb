"""Virtual printers: one device state per printer, its behaviour, and its protocol faces."""
