"""snmp"""
