"""The OpenAPI 3.0 document of ``/api/v1``, written by hand to match ``api/routes.py``."""

from __future__ import annotations

from typing import Any

from chat_server.leads.rules import STATUSES

MAX_ID = 2_147_483_647


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(ref: str) -> dict[str, Any]:
    return {
        "description": "OK",
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


LIMIT = {
    "name": "limit",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
}
OFFSET = {
    "name": "offset",
    "in": "query",
    "schema": {"type": "integer", "minimum": 0, "maximum": 100000, "default": 0},
}
LEAD_ID = {
    "name": "lead_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
CONVERSATION_ID = {
    "name": "conversation_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"},
}
UNAUTHORIZED = _error("Missing, unknown or revoked API token")


def openapi_document() -> dict[str, Any]:
    string = {"type": "string"}
    nullable_string = {"type": "string", "nullable": True}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "dealer-chat API",
            "version": "1.0.0",
            "description": "Leads and chat transcripts of one dealership (see docs/crm.md).",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/leads": {
                "get": {
                    "operationId": "listLeads",
                    "summary": "Leads, newest first, optionally filtered",
                    "parameters": [
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {"type": "string", "enum": list(STATUSES)},
                        },
                        {
                            "name": "service",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["store", "pool", "unanswered"]},
                        },
                        {
                            "name": "since",
                            "in": "query",
                            "schema": {"type": "string", "format": "date-time"},
                        },
                        LIMIT,
                        OFFSET,
                    ],
                    "responses": {
                        "200": _ok("LeadList"),
                        "400": _error("Bad filter"),
                        "401": UNAUTHORIZED,
                    },
                }
            },
            "/leads/{lead_id}": {
                "parameters": [LEAD_ID],
                "get": {
                    "operationId": "getLead",
                    "summary": "One lead with its transcripts, follow-up tasks and deliveries",
                    "responses": {
                        "200": _ok("LeadDetail"),
                        "400": _error("Bad id"),
                        "401": UNAUTHORIZED,
                        "404": _error("No such lead at this dealership"),
                    },
                },
                "patch": {
                    "operationId": "updateLeadStatus",
                    "summary": "Change a lead's status (lost needs a reason)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/StatusChange"}
                            }
                        },
                    },
                    "responses": {
                        "200": _ok("LeadDetail"),
                        "400": _error("Bad status or missing reason"),
                        "401": UNAUTHORIZED,
                        "404": _error("No such lead at this dealership"),
                    },
                },
            },
            "/conversations": {
                "get": {
                    "operationId": "listConversations",
                    "summary": "Conversations, newest first",
                    "parameters": [
                        {
                            "name": "outcome",
                            "in": "query",
                            "schema": {
                                "type": "string",
                                "enum": ["up", "pool", "missed", "abandoned"],
                            },
                        },
                        LIMIT,
                        OFFSET,
                    ],
                    "responses": {
                        "200": _ok("ConversationList"),
                        "400": _error("Bad filter"),
                        "401": UNAUTHORIZED,
                    },
                }
            },
            "/conversations/{conversation_id}": {
                "parameters": [CONVERSATION_ID],
                "get": {
                    "operationId": "getConversation",
                    "summary": "One conversation with its transcript",
                    "responses": {
                        "200": _ok("ConversationDetail"),
                        "401": UNAUTHORIZED,
                        "404": _error("No such conversation at this dealership"),
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {"error": string, "message": string},
                },
                "StatusChange": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {
                        "status": {"type": "string", "enum": list(STATUSES)},
                        "reason": {"type": "string", "maxLength": 300},
                    },
                },
                "Lead": {
                    "type": "object",
                    "required": ["id", "status", "service", "created_at"],
                    "properties": {
                        "id": {"type": "integer"},
                        "status": string,
                        "status_reason": string,
                        "service": string,
                        "segment": string,
                        "department": string,
                        "name": string,
                        "email": string,
                        "phone": string,
                        "preferred_time": string,
                        "owner": nullable_string,
                        "resend_count": {"type": "integer"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "updated_at": {"type": "string", "format": "date-time", "nullable": True},
                        "conversation_id": string,
                    },
                },
                "LeadList": {
                    "type": "object",
                    "required": ["leads"],
                    "properties": {
                        "leads": {"type": "array", "items": {"$ref": "#/components/schemas/Lead"}}
                    },
                },
                "Message": {
                    "type": "object",
                    "properties": {
                        "seq": {"type": "integer"},
                        "author_kind": string,
                        "author_name": string,
                        "body": string,
                        "at": {"type": "string", "format": "date-time"},
                    },
                },
                "ConversationDetail": {
                    "type": "object",
                    "required": ["id", "state"],
                    "properties": {
                        "id": string,
                        "state": string,
                        "outcome": nullable_string,
                        "department": string,
                        "created_at": {"type": "string", "format": "date-time"},
                        "closed_at": {"type": "string", "format": "date-time", "nullable": True},
                        "page": {"type": "object"},
                        "vehicle": {"type": "object", "nullable": True},
                        "messages": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Message"},
                        },
                    },
                },
                "ConversationList": {
                    "type": "object",
                    "required": ["conversations"],
                    "properties": {
                        "conversations": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/ConversationDetail"},
                        }
                    },
                },
                "LeadDetail": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Lead"},
                        {
                            "type": "object",
                            "properties": {
                                "conversations": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/ConversationDetail"},
                                },
                                "tasks": {"type": "array", "items": {"type": "object"}},
                                "deliveries": {"type": "array", "items": {"type": "object"}},
                            },
                        },
                    ]
                },
            },
        },
    }
