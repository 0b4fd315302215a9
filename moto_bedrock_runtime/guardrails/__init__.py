"""Guardrails, applied: a deterministic policy engine for Bedrock guardrail configurations.

What each detector matches is documented in docs/guardrails.md. The API the runtime uses:

* ``resolve(account_id, region, identifier, version, error=ResourceNotFoundException)`` → a
  ``ResolvedGuardrail``: the version ("DRAFT" or "1", "2", …) of the guardrail named by id or ARN
  in that account and region, as the control plane stores it. An unknown guardrail or version
  raises ``error`` with ``GUARDRAIL_NOT_FOUND`` (Converse and InvokeModel answer it as a
  ValidationException, ApplyGuardrail as a ResourceNotFoundException).
* ``blocks_from_content(content)`` → blocks (``TextBlock(text, qualifiers)`` /
  ``ImageBlock(format, data)``) from GuardrailContentBlock dicts as botocore parses them
  (ApplyGuardrail's ``content``, Converse's ``guardContent``), images checked.
* ``evaluate(guardrail, source, blocks, output_scope="INTERVENTIONS", origin="REQUEST")`` → an
  ``Evaluation``: ``action`` (NONE / GUARDRAIL_INTERVENED), ``action_reason``, ``blocked``,
  ``masked``, ``texts`` (each block's text with anonymized spans replaced), ``outputs``
  (ApplyGuardrail's), ``assessment`` (one GuardrailAssessment, exactly botocore's shape, with
  invocationMetrics and appliedGuardrailDetails), ``usage`` and ``coverage``;
  ``response()`` is ApplyGuardrail's body. ``guardrail.blocked_messaging(source)`` is the text
  a blocked call answers with.
* ``apply_guardrail(account_id, region, path, body)`` → ApplyGuardrail's body for a request.
* The ``runtime`` module (not re-exported here: the control plane imports this package and
  needs none of it): guardrails on model calls. ``converse_guard`` (Converse's
  guardrailConfig) and ``from_headers`` + ``invoke_guard`` (InvokeModel's headers) give the
  call's ``Guard``, which checks the input, then the reply or the stream, and writes the trace
  and the history entry.

Nothing here holds state: a ``ResolvedGuardrail`` is an immutable, compiled snapshot, so an
evaluation needs no lock and a concurrent UpdateGuardrail never changes one in progress.
"""

from .apply import apply_guardrail, blocks_from_content
from .evaluate import Block, Evaluation, ImageBlock, TextBlock, evaluate
from .policy import ResolvedGuardrail
from .resolve import GUARDRAIL_NOT_FOUND, resolve

__all__ = [
    "GUARDRAIL_NOT_FOUND",
    "Block",
    "Evaluation",
    "ImageBlock",
    "ResolvedGuardrail",
    "TextBlock",
    "apply_guardrail",
    "blocks_from_content",
    "evaluate",
    "resolve",
]
