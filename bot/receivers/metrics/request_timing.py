"""Every HTTP request counted and timed by its route's template, never by its raw path (SPEC §12).

``/incidents/INC-42`` and ``/incidents/INC-43`` are one series, ``/incidents/{ref}``; a path no route
matches is ``unmatched``, however many a scanner tries. So the number of series stays that of the routes.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.runtime.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS

UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# nginx's figure for a request whose client went away before the answer: there was no status.
CLIENT_GONE = 499


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else UNMATCHED
    method = request.method if request.method in _METHODS else "other"
    started = time.perf_counter()
    status = web.HTTPInternalServerError.status_code
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as answer:
        status = answer.status
        raise
    except asyncio.CancelledError:
        status = CLIENT_GONE
        raise
    finally:
        HTTP_REQUESTS.labels(route=route, method=method, status=str(status)).inc()
        HTTP_REQUEST_DURATION.labels(route=route, method=method).observe(time.perf_counter() - started)
