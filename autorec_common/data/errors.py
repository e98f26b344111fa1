"""The errors of the data layer: each says what went wrong and what to do."""

class DataError(RuntimeError):
    """Base class of the errors this module raises about the data set."""


class DataUnavailableError(DataError):
    """The archive is not cached and could not be downloaded, or cannot be read."""


class CorruptArchiveError(DataError):
    """An archive (cached or downloaded) failed its integrity checks."""


class MalformedDataError(DataError, ValueError):
    """A line of a ratings or item file could not be parsed."""
