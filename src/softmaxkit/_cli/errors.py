"""The command line's one error: bad input from the user."""


class UsageError(Exception):
    """Bad input from the user: reported as one line on stderr with exit status 2."""
