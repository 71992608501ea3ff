"""create_app(): the Flask application; all wiring comes from the Container handed in."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from gateway.bootstrap import Container
from gateway.web import access
from gateway.web.api import api
from gateway.web.api_excel import api_excel
from gateway.web.api_prints import prints_api
from gateway.web.erp_api import erp
from gateway.web.openapi import openapi
from gateway.web.ops import ops
from gateway.web.ui_blank_forms import blank_forms
from gateway.web.ui_certificate_actions import actions as certificate_actions
from gateway.web.ui_declarant import declarant
from gateway.web.ui_drafts import drafts
from gateway.web.ui_engineer import ui
from gateway.web.ui_prints import prints_ui
from gateway.web.ui_products import products
from gateway.web.ui_subscriptions import subscriptions
from gateway.web.ui_supplements import supplements
from gateway.web.ui_users import users
from gateway.web.ui_verification import verification


def create_app(container: Container) -> Flask:
    app = Flask(__name__)
    # Oversized bodies are refused by Werkzeug before we read them (413).
    app.config["MAX_CONTENT_LENGTH"] = container.settings.max_message_bytes
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["cogw"] = container
    app.register_blueprint(api)
    app.register_blueprint(api_excel)
    app.register_blueprint(prints_api)
    access.install(app)
    app.register_blueprint(ui)
    app.register_blueprint(declarant)
    app.register_blueprint(erp)
    app.register_blueprint(openapi)
    app.register_blueprint(ops)
    app.register_blueprint(certificate_actions)
    app.register_blueprint(products)
    app.register_blueprint(prints_ui)
    app.register_blueprint(drafts)
    app.register_blueprint(subscriptions)
    app.register_blueprint(users)
    app.register_blueprint(verification)
    app.register_blueprint(supplements)
    app.register_blueprint(blank_forms)

    @app.get("/")
    def root() -> Any:
        return redirect(url_for("ui.home"))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if request.path.startswith("/ui") or request.path in {"/login", "/logout"}:
            return render_template("error.html", status=status, title=exc.name, detail=exc.description), status
        resp = jsonify({"title": exc.name, "status": status, "detail": exc.description})
        for name, value in exc.get_headers():  # keep Allow on 405, Retry-After …; the body is ours
            if name.lower() != "content-type":
                resp.headers[name] = value
        return resp, status

    return app
