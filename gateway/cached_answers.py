"""The whole-response cache's part of the GraphQL view (gateway/responses.py holds the cache).

A stored answer is replayed without executing GraphQL, charged like the execution it replaces;
identical concurrent misses execute once (single flight); an execution's answer is stored when
it may be. Mixed into the view: it uses strawberry's `run`, `parse_http_body`,
`request_adapter_class` and the view's `encode_json`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from cross_web import HTTPException
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from auth.metering import cost_block, rate_limited
from gateway import appkeys
from gateway.request_keys import MEDIA, OUTCOME, RESPONSE_KEY, STORED
from gateway.responses import Entry, Request, ResponseCache, document_of, storable
from schema.context import Context

QUESTIONS, QUESTION_BYTES = 1024, 16384  # remembered parsed bodies: how many, and up to what size


class CachedAnswers:
    run: Any
    parse_http_body: Any
    request_adapter_class: Any
    encode_json: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._questions: dict[tuple[str, bytes], Request | None] = {}  # raw POST body -> its key part

    async def _cached(self, request: web.Request, context: Context) -> web.StreamResponse | None:
        """A stored answer to the same question from the same scope (gateway/responses.py), or
        the answer of a single flight on a miss; None: not a question for this cache."""
        responses = request.app.get(appkeys.RESPONSES)
        if responses is None or context.principal is None:
            return None
        question = await self._question(request)
        if question is None:
            return None
        key = await responses.key(context.principal, question)
        entry = await responses.get(key)
        if entry is not None:
            return await self._replay(request, context, entry)
        request[RESPONSE_KEY] = key
        return await self._single_flight(request, context, responses, key)

    async def _question(self, request: web.Request) -> Request | None:
        """What the response cache keys a request by; None: it is executed (a body that does not
        parse, which run() answers; batches, dry runs, no document). Remembered by the raw body:
        a dashboard repeats the same bytes all day, and parsing them again is a large share of a
        cached answer's time."""
        body = (request.query_string, await request.read()) if request.method == "POST" else None
        if body is not None and body in self._questions:
            return self._questions[body]
        try:
            data = await self.parse_http_body(self.request_adapter_class(request))
        except HTTPException:
            question = None
        else:
            document = document_of(data.query, data.extensions) if isinstance(data, GraphQLRequestData) else None
            question = None if document is None else Request(document, data.variables, data.operation_name)
        if body is not None and len(body[1]) <= QUESTION_BYTES:
            if len(self._questions) >= QUESTIONS:
                self._questions.clear()
            self._questions[body] = question
        return question

    async def _single_flight(
        self, request: web.Request, context: Context, responses: ResponseCache, key: str
    ) -> web.StreamResponse:
        """Identical concurrent misses execute once; the others replay what it stored (charged
        like any hit), or execute themselves when it stored nothing."""
        own: list[web.StreamResponse] = []

        async def execute() -> Entry | None:
            own.append(await self.run(request=request))
            return request.get(STORED)

        entry = await responses.once(key, execute)
        if own:
            return own[0]
        if entry is not None:
            return await self._replay(request, context, entry)
        return await self.run(request=request)

    async def _replay(self, request: web.Request, context: Context, entry: Entry) -> web.StreamResponse:
        """Charged the points its execution was charged; RateLimited past the budget."""
        context.cost, context.operation = entry.cost, "query"
        if context.limits is not None and context.principal is not None:
            context.budget = await context.limits.charge_points(context.principal, entry.cost)
            if not context.budget.admitted:
                raise rate_limited(context.budget, "points")
        block = await cost_block(context)
        extensions = b"" if block is None else b',"extensions":' + self.encode_json({"cost": block}).encode()
        request[OUTCOME] = "ok"
        return web.Response(body=b'{"data":' + entry.data + extensions + b"}", content_type=request[MEDIA], charset="utf-8")

    async def _store(
        self, request: web.Request, context: Context, data: GraphQLRequestData, result: ExecutionResult
    ) -> None:
        key = request.get(RESPONSE_KEY)
        if key is None or result.errors or result.data is None or context.principal is None or data.query is None:
            return
        if context.operation == "query" and storable(context.principal, data.query, data.operation_name, context.loaders.reads):
            request[STORED] = await request.app[appkeys.RESPONSES].put(key, result.data, context.cost, context.loaders.reads)
