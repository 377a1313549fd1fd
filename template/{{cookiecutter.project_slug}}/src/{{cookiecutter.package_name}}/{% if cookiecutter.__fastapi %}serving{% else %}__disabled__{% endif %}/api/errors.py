"""One error format for every bad request: a 4xx naming each field and what is wrong.

FastAPI's default echoes the offending input, which fails to serialize for NaN or
infinity (a 500); this handler reports the field, message and error type instead.
"""

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


async def validation_error(_request: Request, error: Exception) -> JSONResponse:
    """Answer 422 with one entry per problem: its location, field, message and type."""
    problems = []
    for problem in error.errors() if isinstance(error, RequestValidationError) else []:
        location = [part if isinstance(part, int) else str(part) for part in problem["loc"]]
        message = problem["msg"]
        if problem["type"] == "json_invalid":
            # The location holds the character offset, not a field: the body is unreadable.
            reason = problem.get("ctx", {}).get("error", "")
            message = f"{message} at character {location[-1]}: {reason}"
            location = location[:1]
        problems.append(
            {
                "loc": location,
                "field": ".".join(str(part) for part in location[1:]) or str(location[0]),
                "msg": message,
                "type": problem["type"],
            }
        )
    return JSONResponse({"detail": problems}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on the app.

    Args:
        app: The app.
    """
    app.add_exception_handler(RequestValidationError, validation_error)
