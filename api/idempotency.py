"""``Idempotency-Key``: the same key with the same request gets the same answer, once.

The first successful (2xx) answer to a write sent with a key is kept with a hash of the
request (method, path and body). Sending the key again with the same request replays that
answer (``Idempotent-Replayed: true``) and writes nothing; with a different request it is
refused with 422. Refusals (4xx) are not kept: the request can be corrected and sent again
with the same key. Keys belong to the token that sent them and are remembered for
``KEEP_FOR`` (24 hours): each new key a token sends clears that token's older ones.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
KEEP_FOR = datetime.timedelta(hours=24)
REUSED = "This Idempotency-Key was already used with a different request. Use a new key for a new request."


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        return Response({"detail": REUSED}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    response = Response(record.body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def once(request, run: Callable[[], Response]) -> Response:
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return run()
    if len(key) > MAX_KEY_LENGTH:
        return Response(
            {HEADER: [f"Keep the key to {MAX_KEY_LENGTH} characters (a UUID is ideal)."]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    fingerprint = _fingerprint(request)
    kept = IdempotencyRecord.objects.filter(token=request.auth, created_at__gte=timezone.now() - KEEP_FOR)
    record = kept.filter(key=key).first()
    if record is not None:
        return _replay(record, fingerprint)
    response = run()
    if 200 <= response.status_code < 300:
        body = json.loads(JSONRenderer().render(response.data))
        IdempotencyRecord.objects.filter(token=request.auth, created_at__lt=timezone.now() - KEEP_FOR).delete()
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    token=request.auth, key=key, request_hash=fingerprint, status_code=response.status_code, body=body
                )
        except IntegrityError:
            # The same key arrived twice at once; the first to finish keeps its answer.
            return _replay(IdempotencyRecord.objects.get(token=request.auth, key=key), fingerprint)
    return response
