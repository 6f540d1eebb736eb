"""The CWMP proxy: printers reached over SNMP, IPP and EWS, shown to an ACS as CWMP devices."""
