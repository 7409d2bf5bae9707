"""The two MEXC composites (public market data, private trading) and their metrics and health checks.

Import them from :mod:`exchanges_mexc.exchange`; this package holds one module per concern.
"""
