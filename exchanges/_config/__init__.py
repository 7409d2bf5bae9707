"""The parts behind :mod:`exchanges.config` (private: import from ``exchanges.config``)."""
