"""A Streamlit session without a browser: the app's own websocket protocol, spoken directly, so
a soak can drive a thousand reruns on a 2-core machine where a browser would spend most of the
CPU drawing them.

What the browser does for a rerun, this does too: it opens ``/_stcore/stream`` (subprotocol
"streamlit"), asks for a run with the link's query string and page, and for each change sends a
``BackMsg`` ``rerun_script`` carrying the widget's new state (the Resample button's trigger, the
seed box's value), then reads the ``ForwardMsg`` stream up to ``script_finished``. The server
cannot tell it from a browser: the same session object, script runs, caches, session state and
media files. What it skips is fetching the images and drawing the page.

Every run is checked as a browser session's is (``tests/browser/load.py``'s ``compare``): the
elements the run sent (metrics, image captions, markdown and info bodies, alerts, exceptions,
the query string the page wrote) become a page reading, compared with the library's values.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

_FINISHED = ForwardMsg.ScriptFinishedStatus


class WsSession:
    """One websocket, so one Streamlit session, running a load plan's steps ("open", "models",
    "resample" and "seed"; an "open" or "models" step connects anew, as a page load does).

    Args:
        core: ``tests/browser/load.py`` as a module (its ``SessionResult``, ``StepResult``,
            ``compare`` and ``as_shown``).
        number: the session's number in results.
        base_url: the server, ``http://host:port``.
    """

    def __init__(self, core: Any, number: int, base_url: str) -> None:
        self.core = core
        self.result = core.SessionResult(number)
        self._url = base_url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self._ws: Any = None
        self._page_hash = ""
        self._ids: dict[str, str] = {}  # widget ids by what they are: "resample", "seed"

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def run(
        self,
        steps: Sequence[Any],
        expect: Any,
        *,
        step_timeout: float,
        deadline: float,
        keep_readings: bool = False,
    ) -> None:
        """Run ``steps`` in order, appending to ``self.result``; as ``BrowserSession.run``."""
        for index, step in enumerate(steps):
            left = deadline - time.monotonic()
            if left <= 0:
                self.result.skipped += len(steps) - index
                break
            outcome = self.core.StepResult(
                self.result.session, len(self.result.steps), step.action, step.view.link(), None
            )
            self.result.steps.append(outcome)
            start = time.perf_counter()
            try:
                reading = await asyncio.wait_for(self._step(step), min(step_timeout, left))
                outcome.latency_s = time.perf_counter() - start
            except Exception as err:  # a timeout, a closed socket, a widget not on the page
                outcome.problems.append(
                    f"no finished run after {time.perf_counter() - start:.1f} s "
                    f"({type(err).__name__}: {err})"
                )
                continue
            outcome.reading = reading if keep_readings else None
            outcome.problems += self.core.compare(reading, expect(step.view), step.view)

    async def _step(self, step: Any) -> dict[str, Any]:
        import websockets
        from websockets.typing import Subprotocol

        msg = BackMsg()
        state = msg.rerun_script
        if step.action in ("open", "models"):
            await self.close()
            self._ws = await websockets.connect(
                self._url, subprotocols=[Subprotocol("streamlit")], max_size=None, open_timeout=60
            )
            link = step.view.link()
            path, _, query = link.partition("?")
            state.query_string = query
            state.page_name = path.strip("/")
        else:
            state.page_script_hash = self._page_hash
            widget = state.widget_states.widgets.add()
            if step.action == "resample":
                widget.id = self._ids["resample"]
                widget.trigger_value = True
            elif step.action == "seed":
                widget.id = self._ids["seed"]
                widget.int_value = step.view.seed
            else:
                raise ValueError(f"a websocket session cannot do {step.action!r}")
        await self._ws.send(msg.SerializeToString())
        return await self._read_run()

    async def _read_run(self) -> dict[str, Any]:
        """Read ForwardMsgs up to the end of the run; the page as a ``_READ``-style reading."""
        r: dict[str, Any] = {
            "connection": "CONNECTED",
            "metrics": [],
            "captions": [],
            "texts": [],
            "exceptions": [],
            "errors": [],
            "warnings": [],
            "search": "",
        }
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(await self._ws.recv())
            kind = fm.WhichOneof("type")
            if kind == "navigation":  # the page this run shows (st.navigation's choice)
                self._page_hash = fm.navigation.page_script_hash
            elif kind == "page_info_changed":
                r["search"] = "?" + fm.page_info_changed.query_string
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                self._element(fm.delta.new_element, r)
            elif kind == "script_finished":
                if fm.script_finished != _FINISHED.FINISHED_SUCCESSFULLY:
                    r["errors"].append(f"run ended: {_FINISHED.Name(fm.script_finished)}")
                r["key"] = json.dumps([r["metrics"], r["captions"], r["texts"]])
                return r

    def _element(self, element: Any, r: dict[str, Any]) -> None:
        kind = element.WhichOneof("type")
        if kind == "metric":
            m = element.metric
            r["metrics"].append([m.label, m.body, m.delta or None])
        elif kind == "imgs":
            r["captions"] += [img.caption for img in element.imgs.imgs]
        elif kind == "markdown":
            r["texts"].append(self.core.as_shown(element.markdown.body))
        elif kind == "alert":
            fmt, body = element.alert.format, self.core.as_shown(element.alert.body)
            if fmt == Alert.INFO:
                r["texts"].append(body)
            elif fmt == Alert.ERROR:
                r["errors"].append(body)
            elif fmt == Alert.WARNING:
                r["warnings"].append(body)
        elif kind == "exception":
            r["exceptions"].append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "button" and "Resample" in element.button.label:
            self._ids["resample"] = element.button.id
        elif kind == "number_input" and element.number_input.label == "Seed":
            self._ids["seed"] = element.number_input.id
