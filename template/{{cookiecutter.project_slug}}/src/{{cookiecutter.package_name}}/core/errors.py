"""The one base class of errors a user can fix.

The command line reports these as a message and exit code 1, without a traceback;
any other exception is a bug and keeps its traceback. Light on purpose: importing it
must not import pandas, pandera or MLflow.
"""


class UserError(Exception):
    """Bad data, parameters or registry state: fixable by the user, not a bug."""
