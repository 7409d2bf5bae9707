"""The parts behind :mod:`exchanges.sync` (private: import from ``exchanges.sync``)."""
