"""The bus's wire shapes (msgspec) and their one encoder/decoder each; private to :mod:`exchanges.bus`."""

__all__: list[str] = []
