"""The PrintService data model: PWG SM → TR-106 translator, generated model, mapping table."""
