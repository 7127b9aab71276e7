"""Flask extensions, created unbound here and bound to the app in `create_app()`."""

from __future__ import annotations

from flask_htmx import HTMX
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from webapp.db import Database

db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
