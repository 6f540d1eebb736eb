"""TR-069 (CWMP) protocol core, without I/O.

Messages, the SOAP codec, the CPE and ACS session state machines, the event queue with its
retry rules, HTTP digest authentication and the parameter tree semantics. Every role of
printbench (embedded client, stub ACS, proxy) is a thin adapter over this package; nothing
here opens a socket or reads the clock on its own.
"""
