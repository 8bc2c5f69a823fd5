"""The local control API (HTTP + WebSocket) and the web panel, on 127.0.0.1 only.

Reading state and presets is open to local callers; everything that changes the stream, the
preview image, the thumbnails and the live WebSocket need the token (header `Authorization:
Bearer TOKEN` or `X-Livecam-Token: TOKEN`, or the panel's cookie, which opening the panel with
`?token=TOKEN` sets). Requests whose Host is not this machine are refused, so a web page cannot
reach the API through DNS rebinding, and so are requests sent by a page from any other origin.
Malformed requests get a 4xx JSON answer `{"error": "..."}`; nothing a client sends can stop
the stream.

    GET  /                       the control panel (open it with ?token=TOKEN)
    GET  /api/state              preset, effect, privacy, recording, fps, latency, faces, ...
    GET  /api/presets            [{name, description, effect, thumbnail}]
    GET  /api/presets/NAME/thumbnail.jpg
    GET  /api/preview.jpg        the output, small and at most a few times a second (token)
    GET  /api/live               WebSocket: the state pushed twice a second (token)
    POST /api/preset             {"name": "anime"} | {"number": 2} | {"step": 1}   (token)
    POST /api/effect             {"on": false}, or no body to toggle              (token)
    POST /api/privacy            {"on": true},  or no body to toggle              (token)
    POST /api/record             {"on": true},  or no body to toggle              (token)
    POST /api/face               {"step": 1}: the next enrolled face              (token)
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import Future
from importlib import resources
from typing import Any
from collections.abc import Awaitable, Callable

import cv2
from aiohttp import WSMsgType, web

from livecam.config_tables import did_you_mean
from livecam.control.live import LiveControl, Outcome
from livecam.control.thumbnails import Thumbnails
from livecam.control.token import token_matches
from livecam.errors import ControlError, LivecamError
from livecam.preset import load_preset

log = logging.getLogger("livecam.control")

PUSH_INTERVAL_S = 0.5
PREVIEW_WIDTH = 480
PREVIEW_MIN_INTERVAL_S = 0.25
PANEL_FILES = {"index.html": "text/html", "panel.js": "text/javascript",
               "panel.css": "text/css"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadRequest(Exception):
    """A client mistake, answered with 400 and its message."""


COOKIE = "livecam-token"


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _outcome(outcome: Outcome, state: dict[str, Any]) -> web.Response:
    if not outcome.ok:
        return web.json_response({"error": outcome.message, "state": state}, status=409)
    return web.json_response({"message": outcome.message, "state": state})


async def _body(request: web.Request, allowed: dict[str, type]) -> dict[str, Any]:
    """The JSON object of a request, checked against `allowed` keys and their types."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise BadRequest("the body must be JSON, e.g. {\"on\": true}") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object, e.g. {\"on\": true}")
    for key, value in data.items():
        if key not in allowed:
            raise BadRequest(f"unknown field '{key}'{did_you_mean(key, allowed)}; this route "
                             f"takes {', '.join(allowed) or 'no fields'}")
        kind = allowed[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise BadRequest(f"'{key}' must be {kind.__name__}, got {json.dumps(value)}")
    return data


class ControlServer:
    """Serves one LiveControl; runs its own event loop on a thread.

    Args:
        control: The stream's switches.
        token: The secret that changes need.
        port: TCP port on 127.0.0.1.
        thumbnails: Preset thumbnail renderer (cached on disk).
    """

    def __init__(self, control: LiveControl, token: str, port: int,
                 thumbnails: Thumbnails | None = None) -> None:
        self.control = control
        self.token = token
        self.port = port
        self.thumbnails = thumbnails or Thumbnails()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._preview: tuple[float, int, bytes] = (0.0, -1, b"")
        self._sockets: set[web.WebSocketResponse] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def panel_url(self) -> str:
        return f"{self.url}?token={self.token}"

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Listen; a busy port is a ControlError saying how to pick another."""
        started: Future[None] = Future()
        self._thread = threading.Thread(target=self._serve, args=(started,),
                                        name="livecam-control", daemon=True)
        self._thread.start()
        try:
            started.result(timeout=10)
        except OSError as exc:
            raise ControlError(f"the control server cannot listen on 127.0.0.1:{self.port} "
                               f"({exc.strerror or exc}); is another livecam running? Use "
                               "--control-port N, set [control] port in livecam.toml, or "
                               "--no-control") from None

    def _serve(self, started: Future[None]) -> None:
        try:
            asyncio.run(self._main(started))
        except Exception as exc:  # noqa: BLE001 - reported through `started` or the log
            if not started.done():
                started.set_exception(exc)
            else:
                log.error("control server stopped: %s", exc)

    async def _main(self, started: Future[None]) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        runner = web.AppRunner(self._app(), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", self.port).start()
            started.set_result(None)
            pusher = asyncio.create_task(self._push_loop())
            await self._stopped.wait()
            pusher.cancel()
            for ws in list(self._sockets):
                await ws.close()
        finally:
            await runner.cleanup()

    def close(self) -> None:
        """Stop serving; safe to call twice."""
        if self._loop is not None and self._stopped is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # the app -----------------------------------------------------------------------------------
    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard], client_max_size=64 * 1024)
        app.router.add_get("/", self._panel_file)
        app.router.add_get("/{file:panel\\.(?:js|css)}", self._panel_file)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/presets", self._presets)
        app.router.add_get("/api/presets/{name}/thumbnail.jpg", self._thumbnail)
        app.router.add_get("/api/preview.jpg", self._preview_jpeg)
        app.router.add_get("/api/live", self._live)
        app.router.add_post("/api/preset", self._set_preset)
        app.router.add_post("/api/effect", self._set_effect)
        app.router.add_post("/api/privacy", self._set_privacy)
        app.router.add_post("/api/record", self._set_record)
        app.router.add_post("/api/face", self._next_face)
        return app

    NEEDS_TOKEN = ("/api/preview.jpg", "/api/live")
    LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")

    def _needs_token(self, request: web.Request) -> bool:
        # the preview, the live state and the thumbnails (one shows the enrolled face) too
        return (request.method != "GET" or request.path in self.NEEDS_TOKEN
                or request.path.endswith("/thumbnail.jpg"))

    def _given_token(self, request: web.Request) -> str | None:
        """From a header, or the panel's cookie; in the address only when the panel itself
        is opened (its start-up link), which then sets the cookie."""
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[7:].strip()
        return request.headers.get("X-Livecam-Token") or request.cookies.get(COOKIE)

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.host.rsplit(":", 1)[0] if request.host else ""
        if host not in self.LOCAL_HOSTS:
            return _error(403, f"this API answers on 127.0.0.1 only, not on host '{host}'")
        origin = request.headers.get("Origin")
        if origin is not None and origin.rsplit(":", 1)[0] not in (
                f"http://{h}" for h in self.LOCAL_HOSTS):
            return _error(403, f"requests from pages of '{origin}' are refused: only livecam's "
                               "own panel may drive the stream")
        if self._needs_token(request):
            given = self._given_token(request)
            if not token_matches(given, self.token):
                what = "a wrong token" if given else "no token"
                return _error(401, f"{what}: send the token from livecam's start-up line as "
                                   "'Authorization: Bearer TOKEN' (it is in "
                                   "~/.config/livecam/control-token)")
        try:
            return await handler(request)
        except BadRequest as exc:
            return _error(400, str(exc))
        except web.HTTPException as exc:
            if exc.status == 404:
                return _error(404, f"no such route: {request.method} {request.path}")
            if exc.status == 405:
                return _error(405, f"{request.method} is not allowed on {request.path}")
            return _error(exc.status, exc.reason)
        except LivecamError as exc:
            return _error(409, str(exc))
        except Exception as exc:  # noqa: BLE001 - a client must never stop the stream
            log.exception("control API error on %s", request.path)
            return _error(500, f"internal error: {exc}")

    # routes ------------------------------------------------------------------------------------
    async def _panel_file(self, request: web.Request) -> web.Response:
        name = request.match_info.get("file", "index.html")
        body = resources.files("livecam.control").joinpath("panel", name).read_bytes()
        response = web.Response(body=body, content_type=PANEL_FILES[name],
                                headers={"Cache-Control": "no-store",
                                         "Content-Security-Policy": "default-src 'self'; "
                                         "img-src 'self' data: blob:; connect-src 'self' ws:"})
        given = request.query.get("token")
        if name == "index.html" and token_matches(given, self.token):
            # the start-up link's token becomes a cookie only this panel's requests carry
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict",
                                path="/")
        return response

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self.control.state())

    async def _presets(self, request: web.Request) -> web.Response:
        cards: list[dict[str, str | None]] = []
        for name in self.control.presets:
            try:
                preset = load_preset(name)
                cards.append({"name": name, "description": preset.description,
                              "effect": preset.effect,
                              "thumbnail": f"/api/presets/{name}/thumbnail.jpg"})
            except LivecamError as exc:
                cards.append({"name": name, "description": f"broken: {exc}", "effect": None,
                              "thumbnail": None})
        return web.json_response(cards)

    async def _thumbnail(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.control.presets:
            return _error(404, f"unknown preset '{name}'; available: "
                               f"{', '.join(self.control.presets)}")
        loop = asyncio.get_running_loop()
        data = await loop.run_in_executor(None, self.thumbnails.get, name)
        return web.Response(body=data, content_type="image/jpeg",
                            headers={"Cache-Control": "max-age=3600"})

    async def _preview_jpeg(self, request: web.Request) -> web.Response:
        latest = self.control.pipeline.latest
        if latest is None:
            return _error(503, "no frame yet; the stream is starting")
        made_s, index, data = self._preview
        if index != latest.index and time.monotonic() - made_s >= PREVIEW_MIN_INTERVAL_S:
            loop = asyncio.get_running_loop()
            data = await loop.run_in_executor(None, _jpeg, latest.image)
            self._preview = (time.monotonic(), latest.index, data)
        return web.Response(body=data, content_type="image/jpeg",
                            headers={"Cache-Control": "no-store"})

    async def _live(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=10.0)
        await ws.prepare(request)
        self._sockets.add(ws)
        try:
            await ws.send_json(self.control.state())
            async for message in ws:   # the panel sends nothing; this waits for the close
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            self._sockets.discard(ws)
        return ws

    async def _push_loop(self) -> None:
        while True:
            await asyncio.sleep(PUSH_INTERVAL_S)
            if not self._sockets:
                continue
            state = self.control.state()
            for ws in list(self._sockets):
                try:
                    await ws.send_json(state)
                except (ConnectionError, RuntimeError):
                    self._sockets.discard(ws)

    async def _set_preset(self, request: web.Request) -> web.Response:
        body = await _body(request, {"name": str, "number": int, "step": int})
        if len(body) != 1:
            raise BadRequest("send exactly one of {\"name\": \"anime\"}, {\"number\": 2} or "
                             "{\"step\": 1}")
        if "name" in body:
            outcome = self.control.select_preset(body["name"])
            if not outcome.ok:
                return _error(404, outcome.message)
        elif "number" in body:
            outcome = self.control.preset_number(body["number"])
        else:
            outcome = self.control.step_preset(1 if body["step"] >= 0 else -1)
        return _outcome(outcome, self.control.state())

    async def _switch(self, request: web.Request,
                      action: Callable[[bool | None], Outcome]) -> web.Response:
        body = await _body(request, {"on": bool})
        return _outcome(action(body.get("on")), self.control.state())

    async def _set_effect(self, request: web.Request) -> web.Response:
        return await self._switch(request, self.control.set_effect)

    async def _set_privacy(self, request: web.Request) -> web.Response:
        return await self._switch(request, self.control.set_privacy)

    async def _set_record(self, request: web.Request) -> web.Response:
        return await self._switch(request, self.control.set_recording)

    async def _next_face(self, request: web.Request) -> web.Response:
        await _body(request, {"step": int})
        return _outcome(self.control.next_face(), self.control.state())


def _jpeg(image: Any) -> bytes:
    h, w = image.shape[:2]
    small = cv2.resize(image, (PREVIEW_WIDTH, max(1, h * PREVIEW_WIDTH // w)),
                       interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 75])
    assert ok
    return bytes(data.tobytes())
