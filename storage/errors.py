"""Storage errors.

StorageError          base: the database could not be read or written
└── SchemaError       the database is missing, has no or another revision of the schema, or
                      a migration left it inconsistent
"""


class StorageError(RuntimeError):
    """A database operation failed."""


class SchemaError(StorageError):
    """The database is missing or has no cgt-monitor schema, an older or newer one, or a
    migration left it inconsistent."""
