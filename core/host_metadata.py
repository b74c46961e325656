"""Core's metadata, without plugin tables (each plugin migrates its own ``<name>_*`` tables)."""

from sqlalchemy import MetaData


def core_metadata() -> MetaData:
    import qudao.core.models  # noqa: F401 - registers every core model
    from qudao.core.db.base import Base
    from qudao.core.plugins.host import get_host

    prefixes = tuple(f"{name}_" for name in get_host().names)
    core = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        if not table.name.startswith(prefixes):
            table.to_metadata(core)
    return core
