"""Every refusal becomes a JSON body `{"error": {code, message, details}}` with a 4xx
status; validation errors name the field without echoing what was sent."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from parley_contracts.errors import ErrorBody, ErrorCode
from parley_contracts.http import ErrorResponse
from parley_runtime.errors import ParleyError
from parley_runtime.validation import describe, summary

STATUS = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.INVALID_JSON: 400,
    ErrorCode.UNKNOWN_TYPE: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.BLOCKED: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
}
HTTP_CODES = {400: ErrorCode.BAD_REQUEST, 401: ErrorCode.UNAUTHORIZED, 403: ErrorCode.FORBIDDEN,
              404: ErrorCode.NOT_FOUND, 405: ErrorCode.BAD_REQUEST, 413: ErrorCode.TOO_LARGE}  # fmt: skip


def error_body(error: ParleyError) -> dict:
    return ErrorResponse(error=error.body()).model_dump(mode="json", exclude_none=True)


def error_response(error: ParleyError, status: int | None = None) -> JSONResponse:
    """The JSON answer to a refusal; `status` overrides the one its code maps to."""
    headers = {}
    for detail in error.details or []:
        if "retryAfterS" in detail:
            headers["Retry-After"] = str(detail["retryAfterS"])
    return JSONResponse(error_body(error), status_code=status or STATUS[error.code], headers=headers)


Refusal = ParleyError | ValidationError | HTTPException
"""What a route may raise to refuse a request: its own refusal, a command its own checks
refused, or an HTTP status (the body limit's 413)."""
REFUSALS = (ParleyError, ValidationError, HTTPException)


def refusal_response(exc: Refusal) -> JSONResponse:
    """The answer to a refusal a route raised: the app's exception handlers and the post
    route (`post_route`, in front of them) both answer through this."""
    if isinstance(exc, ParleyError):
        return error_response(exc)
    if isinstance(exc, ValidationError):  # a command that its own checks refused
        return error_response(ParleyError(ErrorCode.BAD_REQUEST, summary(exc), describe(exc)))
    code = HTTP_CODES.get(exc.status_code, ErrorCode.BAD_REQUEST)
    body = ErrorResponse(error=ErrorBody(code=code, message=str(exc.detail)))
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=exc.status_code)


def install(app: FastAPI) -> None:
    async def on_refusal(_request: Request, exc: Refusal) -> JSONResponse:
        return refusal_response(exc)

    for kind in REFUSALS:
        app.exception_handler(kind)(on_refusal)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body") or "(body)", "problem": e["msg"]}
            for e in exc.errors()
        ]
        message = "; ".join(f"{d['field']}: {d['problem']}" for d in details)
        return error_response(ParleyError(ErrorCode.BAD_REQUEST, message, details))
