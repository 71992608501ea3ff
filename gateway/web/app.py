"""create_app(): the Flask application; all wiring comes from the Container handed in."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from gateway.bootstrap import Container
from gateway.web.api import api


def create_app(container: Container) -> Flask:
    app = Flask(__name__)
    # Oversized bodies are refused by Werkzeug before we read them (413).
    app.config["MAX_CONTENT_LENGTH"] = container.settings.max_message_bytes
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["cogw"] = container
    app.register_blueprint(api)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"status": "ok"})

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        return jsonify({"title": exc.name, "status": status, "detail": exc.description}), status

    return app
