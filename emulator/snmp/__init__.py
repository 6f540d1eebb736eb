"""The printer's SNMP face: agent, MIB view, responder, traps."""
