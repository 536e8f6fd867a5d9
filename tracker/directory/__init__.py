"""Directories: organisations, locations, categories, campaigns and people."""

from flask import Blueprint

blueprint = Blueprint("directory", __name__)

from tracker.directory import lookup, views  # noqa: E402,F401
