"""The OpenAPI document, with what FastAPI cannot infer:

- an operation that answers 428 without `If-Match` requires it. (At run time the header stays
  optional to FastAPI, so that its absence is answered 428 with an explanation rather than a
  generic 422.)
- links from each create operation to the GET that reads what it made (OpenAPI `links`, which
  clients and schemathesis' stateful phase follow)."""

from typing import Any

from fastapi import FastAPI

# Each create operation (its 201 answer), the GET that reads what it made, and where that GET's path
# parameters come from (OpenAPI runtime expressions). A record without a GET of its own (an agenda
# item, a clinic target, a plan's priority, action or success measure, a review judgement) leads to
# the GET that lists or holds it.
CREATED_LINKS: dict[str, tuple[str, dict[str, str]]] = {
    "POST /api/v1/schools": ("GET /api/v1/schools/{urn}", {"urn": "$response.body#/urn"}),
    "POST /api/v1/schools/{urn}/inspections": (
        "GET /api/v1/schools/{urn}/inspections/{inspection_id}",
        {"urn": "$request.path.urn", "inspection_id": "$response.body#/id"}),
    "POST /api/v1/schools/{urn}/indicators": (
        "GET /api/v1/schools/{urn}/indicators/{indicator_id}",
        {"urn": "$request.path.urn", "indicator_id": "$response.body#/id"}),
    "POST /api/v1/schools/{urn}/flags": (
        "GET /api/v1/schools/{urn}/flags/{flag_id}", {"urn": "$request.path.urn", "flag_id": "$response.body#/id"}),
    "POST /api/v1/schools/{urn}/review-judgements": (
        "GET /api/v1/schools/{urn}/review-judgements", {"urn": "$request.path.urn"}),
    "POST /api/v1/schools/{urn}/visits": ("GET /api/v1/visits/{visit_id}", {"visit_id": "$response.body#/id"}),
    "POST /api/v1/triads/{triad_id}/visits": ("GET /api/v1/visits/{visit_id}", {"visit_id": "$response.body#/id"}),
    "POST /api/v1/visits/{visit_id}/actions": (
        "GET /api/v1/visits/{visit_id}/actions/{action_id}",
        {"visit_id": "$request.path.visit_id", "action_id": "$response.body#/id"}),
    "POST /api/v1/collaboratives": (
        "GET /api/v1/collaboratives/{collaborative_id}", {"collaborative_id": "$response.body#/id"}),
    "POST /api/v1/collaboratives/{collaborative_id}/roll-forward": (
        "GET /api/v1/collaboratives/{collaborative_id}", {"collaborative_id": "$response.body#/collaborative/id"}),
    "POST /api/v1/collaboratives/{collaborative_id}/triad-proposals/accept": (
        "GET /api/v1/triads/{triad_id}", {"triad_id": "$response.body#/items/0/id"}),
    "POST /api/v1/triads": ("GET /api/v1/triads/{triad_id}", {"triad_id": "$response.body#/id"}),
    "POST /api/v1/clinics": ("GET /api/v1/clinics/{clinic_id}", {"clinic_id": "$response.body#/id"}),
    "POST /api/v1/clinics/{clinic_id}/agenda": (
        "GET /api/v1/clinics/{clinic_id}/agenda", {"clinic_id": "$request.path.clinic_id"}),
    "POST /api/v1/clinics/{clinic_id}/actions": (
        "GET /api/v1/actions/{action_id}", {"action_id": "$response.body#/id"}),
    "POST /api/v1/clinics/{clinic_id}/targets": (
        "GET /api/v1/clinics/{clinic_id}/targets", {"clinic_id": "$request.path.clinic_id"}),
    "POST /api/v1/action-plans": ("GET /api/v1/action-plans/{plan_id}", {"plan_id": "$response.body#/id"}),
    "POST /api/v1/action-plans/{plan_id}/priorities": (
        "GET /api/v1/action-plans/{plan_id}", {"plan_id": "$request.path.plan_id"}),
    "POST /api/v1/action-plans/{plan_id}/success-measures": (
        "GET /api/v1/action-plans/{plan_id}", {"plan_id": "$request.path.plan_id"}),
    "POST /api/v1/priorities/{priority_id}/actions": (
        "GET /api/v1/action-plans/{plan_id}", {"plan_id": "$response.body#/plan_id"}),
    "POST /api/v1/plan-actions/{action_id}/milestones": (
        "GET /api/v1/milestones/{milestone_id}", {"milestone_id": "$response.body#/id"}),
    "POST /api/v1/support-deployments": (
        "GET /api/v1/support-deployments/{deployment_id}", {"deployment_id": "$response.body#/id"}),
    "POST /api/v1/groups": ("GET /api/v1/groups/{group_id}", {"group_id": "$response.body#/id"}),
}


def require_if_match(schema: dict[str, Any]) -> dict[str, Any]:
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "428" not in operation.get("responses", {}):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header" and parameter.get("name", "").lower() == "if-match":
                    parameter["required"] = True
    return schema


def _operation(schema: dict[str, Any], key: str) -> dict[str, Any]:
    method, path = key.split(" ", 1)
    operation = schema.get("paths", {}).get(path, {}).get(method.lower())
    if operation is None:
        raise LookupError(f"app/openapi.py CREATED_LINKS names {key}, which the app does not have")
    return operation


def add_links(schema: dict[str, Any]) -> dict[str, Any]:
    """Each create operation's 201 answer links to the GET of what it made (see CREATED_LINKS); the
    link is named after that GET's summary, e.g. `GetTriad`."""
    for create, (read, parameters) in CREATED_LINKS.items():
        target = _operation(schema, read)
        answer = _operation(schema, create)["responses"]["201"]
        name = "".join(target.get("summary", target["operationId"]).split())
        answer.setdefault("links", {})[name] = {
            "operationId": target["operationId"], "parameters": dict(parameters),
            "description": f"{read}: what this made"}
    return schema


def install(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_links(require_if_match(build()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
