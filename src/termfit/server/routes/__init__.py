"""One FastAPI router per concern; :mod:`termfit.server.app` includes them."""
