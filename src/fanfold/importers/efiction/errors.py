class ImportSourceError(Exception):
    """The import source cannot be read; the message says what is wrong, for the operator."""
