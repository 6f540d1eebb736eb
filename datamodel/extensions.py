"""Vendor-extension parameters for the EWS-table settings the PWG SM has no element for.

The seed's EWS table lists network services (DNS/WINS, SMTP, FTP, HTTP, LPD/9100, SNMP,
time, TCP/IP) and printing settings (e-mail alerts, finishing, PCL/PS) that printers expose
only on their web pages. TR-106 3.3 lets a model carry such items under a vendor prefix
``X_<VENDOR>_``; bbfreport's lint accepts an OUI or a domain name with dots turned into hyphens.
One extension object holds them all, so the standard part of the model stays pure SM.
A vendor deploying the model replaces :data:`VENDOR_PREFIX` with its own OUI or domain.
"""

from __future__ import annotations

VENDOR_PREFIX = "X_PRINTBENCH-ORG_"
OBJECT_NAME = f"{VENDOR_PREFIX}Settings"

#: object → [(parameter, TR-106 type, list?, max length, description)]; every parameter is
#: readWrite (the seed's EWS table marks these rows read-write).
SETTINGS: dict[str, list[tuple[str, str, bool, int | None, str]]] = {
    "Network": [
        ("DNSServers", "string", True, 45, "DNS server addresses, in order of preference."),
        ("DNSDomain", "string", False, 255, "DNS domain name of the printer."),
        ("WINSEnable", "boolean", False, None, "Register with a WINS server."),
        ("WINSServer", "string", False, 45, "WINS server address."),
        ("FTPEnable", "boolean", False, None, "FTP print server enabled."),
        ("HTTPEnable", "boolean", False, None, "Embedded web server enabled."),
        ("HTTPSOnly", "boolean", False, None, "Embedded web server redirects HTTP to HTTPS."),
        ("LPDEnable", "boolean", False, None, "LPD (RFC 1179) print server enabled."),
        ("Port9100Enable", "boolean", False, None, "Raw port 9100 print server enabled."),
        ("IPPEnable", "boolean", False, None, "IPP print server enabled."),
    ],
    "SMTP": [
        ("Server", "string", False, 255, "SMTP server used for e-mail alerts."),
        ("Port", "unsignedInt", False, None, "SMTP server port."),
        ("From", "string", False, 255, "Sender address of e-mail alerts."),
        ("AuthEnable", "boolean", False, None, "Authenticate to the SMTP server."),
    ],
    "SNMP": [
        ("V1V2cEnable", "boolean", False, None, "SNMPv1/v2c agent enabled."),
        ("V3Enable", "boolean", False, None, "SNMPv3 agent enabled."),
        ("ReadCommunity", "string", False, 64, "SNMPv1/v2c read community."),
        ("WriteCommunity", "string", False, 64, "SNMPv1/v2c write community."),
        ("TrapDestinations", "string", True, 255, "Trap destinations as host:port."),
        ("TrapCommunity", "string", False, 64, "Community sent with traps."),
    ],
    "Time": [
        ("NTPEnable", "boolean", False, None, "Synchronise the clock with NTP."),
        ("NTPServer", "string", False, 255, "NTP server."),
        ("TimeZone", "string", False, 64, "Time zone name (IANA tz database)."),
    ],
    "TCPIP": [
        ("DHCPEnable", "boolean", False, None, "Obtain the IPv4 configuration by DHCP."),
        ("IPv4Address", "string", False, 15, "Static IPv4 address."),
        ("SubnetMask", "string", False, 15, "IPv4 subnet mask."),
        ("DefaultGateway", "string", False, 15, "IPv4 default gateway."),
        ("HostName", "string", False, 63, "Host name of the printer."),
    ],
    "EmailAlerts": [
        ("Enable", "boolean", False, None, "Send e-mail alerts."),
        ("Recipients", "string", True, 255, "E-mail addresses that receive alerts."),
        ("Events", "string", True, 64, "Alert kinds that trigger an e-mail."),
    ],
    "Finishing": [
        ("BannerPage", "boolean", False, None, "Print a banner page before each job."),
        ("SeparatorSheets", "boolean", False, None, "Insert separator sheets between jobs."),
        ("Collate", "boolean", False, None, "Collate copies by default."),
        ("SkipBlankPages", "boolean", False, None, "Do not print blank pages."),
        ("ResourceSave", "boolean", False, None, "Keep downloaded fonts and forms in memory."),
    ],
    "PrintSettings": [
        ("PCLFont", "string", False, 64, "Default PCL font."),
        ("PCLFontPitch", "unsignedInt", False, None, "Default PCL font pitch."),
        ("PCLSymbolSet", "string", False, 32, "Default PCL symbol set."),
        ("PCLLinesPerPage", "unsignedInt", False, None, "PCL form length in lines."),
        ("DraftMode", "boolean", False, None, "Print in draft mode by default."),
        ("PSErrorReport", "boolean", False, None, "Print a PostScript error page."),
        ("PSJobTimeout", "unsignedInt", False, None, "PostScript job timeout in seconds; 0: none."),
        ("PSPaperSelect", "string", False, 32, "PostScript paper selection mode."),
        ("Darkness", "unsignedInt", False, None, "Print darkness, 1 to 5."),
        ("TonerSave", "boolean", False, None, "Economy (toner save) mode."),
        ("ErrorAlarm", "boolean", False, None, "Sound an alarm on errors."),
        ("TonerAlarm", "boolean", False, None, "Sound an alarm on low toner."),
    ],
}
