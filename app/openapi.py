"""The OpenAPI document, with what FastAPI cannot infer: an operation that answers 428 without
`If-Match` requires it. (At run time the header stays optional to FastAPI, so that its absence is
answered 428 with an explanation rather than a generic 422.)"""

from typing import Any

from fastapi import FastAPI


def require_if_match(schema: dict[str, Any]) -> dict[str, Any]:
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "428" not in operation.get("responses", {}):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header" and parameter.get("name", "").lower() == "if-match":
                    parameter["required"] = True
    return schema


def install(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = require_if_match(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
