"""Storage errors.

StorageError          base: the database could not be read or written
└── SchemaError       the database schema is missing or older than this code
"""


class StorageError(RuntimeError):
    """A database operation failed."""


class SchemaError(StorageError):
    """The database has no cgt-monitor schema, or an outdated one."""
