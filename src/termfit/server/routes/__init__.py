"""One FastAPI router per concern; :mod:`termfit.server.app` includes them.

A new route is a module here defining ``router = APIRouter(tags=[...])`` whose handlers
take ``ctx: CtxDep`` (:mod:`termfit.server.context`), check their input with plain
functions that raise :class:`~termfit.server.errors.ApiError`, and run model work through
``await ctx.run(kind, ...)`` (a new kind: add its runner to ``worker.RUNNERS``); add
the router to ``app.ROUTERS``. Auth, body limits, metrics and the error shape then apply
to it unchanged.
"""
