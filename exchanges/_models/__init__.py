"""The records behind :mod:`exchanges.models`, one module per family (private: import them from
``exchanges.models``)."""
