"""Foundation models on the control plane: the catalog as AWS lists it, model availability, the
Marketplace agreements third-party models need, and the use-case form for model access.

Everything listed comes from `catalog.models()` (data/models.json), the same entries the runtime
answers with, so a model a test finds here is one it can call. Agreements and the use-case form
are stored per account and region; availability reflects them. The runtime does not enforce them:
they are state for code that manages model access, as AWS's console and SDK users do.
"""

from __future__ import annotations

import base64
import json
import threading
from functools import lru_cache
from typing import Any

from moto.bedrock.models import BedrockBackend

from .. import catalog
from ..errors import BedrockError, ResourceNotFoundException, ValidationException
from ..ids import digest
from ..moto_services import get_partition
from .common import ControlHandlers, Response

# Providers whose models are served by AWS itself: no Marketplace agreement is needed.
FIRST_PARTY_PROVIDERS = frozenset({"Amazon"})
LEGAL_TERMS_URL = "https://aws.amazon.com/legal/bedrock/third-party-models/"
MODEL_NOT_FOUND = "The model {model} was not found."


def foundation_model_arn(region: str, model_id: str, partition: str | None = None) -> str:
    """`arn:aws:bedrock:{region}::foundation-model/{id}` (no account), in the region's
    partition; an empty region gives the Region-less ARN global profiles route to."""
    partition = partition or get_partition(region)
    return f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"


def model_summary(model: catalog.FoundationModel, region: str) -> dict[str, Any]:
    """AWS's FoundationModelSummary: the catalog's summary data behind the regional ARN, with
    members the catalog leaves out (responseStreamingSupported for image models…) left out."""
    return {"modelArn": foundation_model_arn(region, model.model_id), **model.summary}


def offer_token(model_id: str) -> str:
    """The one public offer's token: opaque and stable, like the Marketplace's."""
    return base64.urlsafe_b64encode(digest("offer", model_id)).decode().rstrip("=")


def _offer(model: catalog.FoundationModel) -> dict[str, Any]:
    token = offer_token(model.model_id)
    return {
        "offerId": "offer-" + digest("offer-id", model.model_id).hex()[:26],
        "offerToken": token,
        "termDetails": {
            "usageBasedPricingTerm": {"rateCard": []},
            "legalTerm": {"url": LEGAL_TERMS_URL},
            "supportTerm": {"refundPolicyDescription": f"{model.provider} does not offer refunds."},
        },
    }


@lru_cache(maxsize=256)
def listing_body(
    region: str,
    provider: str | None,
    customization: str | None,
    output_modality: str | None,
    inference_type: str | None,
) -> str:
    """ListFoundationModels' JSON for a region and filters: every catalog model passing all
    given filters (a model only reachable through inference profiles supports neither
    ON_DEMAND nor PROVISIONED, so either inference-type filter leaves it out, as on AWS).

    The catalog never changes while the process runs, so each answer is built once: it is
    50 KB of JSON that SDKs and frameworks ask for at every start."""
    found = []
    for model in catalog.models().values():
        summary = model.summary
        if provider is not None and model.provider.lower() != provider.lower():
            continue
        if customization is not None and customization not in summary.get(
            "customizationsSupported", ()
        ):
            continue
        if output_modality is not None and output_modality not in summary.get(
            "outputModalities", ()
        ):
            continue
        if inference_type is not None and inference_type not in model.inference_types:
            continue
        found.append(model_summary(model, region))
    return json.dumps({"modelSummaries": found})


class FoundationModels(BedrockBackend):
    """Backend mixin: the catalog, availability, agreements and the use-case form."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self._model_lock = threading.RLock()
        self.model_agreements: set[str] = set()
        self.use_case_form: bytes | None = None

    def foundation_model(self, identifier: str) -> catalog.FoundationModel:
        """The catalog entry for a model id or this region's foundation-model ARN."""
        model_id = identifier
        prefix = foundation_model_arn(self.region_name, "")
        if identifier.startswith("arn:"):
            model_id = identifier[len(prefix) :] if identifier.startswith(prefix) else ""
        model = catalog.models().get(model_id)
        if model is None:
            raise ResourceNotFoundException(MODEL_NOT_FOUND.format(model=identifier))
        return model

    def get_foundation_model(self, identifier: str) -> dict[str, Any]:
        return model_summary(self.foundation_model(identifier), self.region_name)

    def _region_available(self, model: catalog.FoundationModel) -> bool:
        """Callable from this region: directly, or through one of its system profiles."""
        if set(model.inference_types) & {"ON_DEMAND", "PROVISIONED"}:
            return True
        for geo in model.profiles:
            try:
                catalog.resolve(f"{geo}.{model.model_id}", self.region_name)
            except BedrockError:
                continue
            return True
        return False

    def _agreement_in_place(self, model: catalog.FoundationModel) -> bool:
        return model.provider in FIRST_PARTY_PROVIDERS or model.model_id in self.model_agreements

    def get_foundation_model_availability(self, model_id: str) -> dict[str, Any]:
        model = self.foundation_model(model_id)
        with self._model_lock:
            agreed = self._agreement_in_place(model)
        return {
            "modelId": model.model_id,
            "agreementAvailability": {"status": "AVAILABLE" if agreed else "NOT_AVAILABLE"},
            "authorizationStatus": "AUTHORIZED",
            "entitlementAvailability": "AVAILABLE" if agreed else "NOT_AVAILABLE",
            "regionAvailability": "AVAILABLE" if self._region_available(model) else "NOT_AVAILABLE",
        }

    def list_foundation_model_agreement_offers(self, model_id: str) -> list[dict[str, Any]]:
        """One public offer per third-party model; AWS's own models need none."""
        model = self.foundation_model(model_id)
        return [] if model.provider in FIRST_PARTY_PROVIDERS else [_offer(model)]

    def create_foundation_model_agreement(self, model_id: str, token: str) -> str:
        model = self.foundation_model(model_id)
        if model.provider in FIRST_PARTY_PROVIDERS or token != offer_token(model.model_id):
            raise ValidationException(f"The offer token is not valid for model {model_id}.")
        with self._model_lock:
            if model.model_id in self.model_agreements:
                raise BedrockError(
                    f"An agreement for model {model_id} already exists.", code="ConflictException"
                )
            self.model_agreements.add(model.model_id)
        return model.model_id

    def delete_foundation_model_agreement(self, model_id: str) -> None:
        model = self.foundation_model(model_id)
        with self._model_lock:
            if model.model_id not in self.model_agreements:
                raise ResourceNotFoundException(f"No agreement exists for model {model_id}.")
            self.model_agreements.discard(model.model_id)

    def put_use_case_for_model_access(self, form: bytes) -> None:
        with self._model_lock:
            self.use_case_form = form

    def get_use_case_for_model_access(self) -> bytes:
        with self._model_lock:
            form = self.use_case_form
        if form is None:
            raise ResourceNotFoundException("No use case has been submitted for model access.")
        return form


class FoundationModelResponses(ControlHandlers):
    """Response mixin: the HTTP side of FoundationModels."""

    bedrock_backend: FoundationModels

    def list_foundation_models(self) -> Response:
        params = self._input()
        body = listing_body(
            self.region,
            params.get("byProvider"),
            params.get("byCustomizationType"),
            params.get("byOutputModality"),
            params.get("byInferenceType"),
        )
        return 200, {"Content-Type": "application/json", "status": "200"}, body

    def get_foundation_model(self) -> Response:
        identifier = self._input()["modelIdentifier"]
        return self._json({"modelDetails": self.bedrock_backend.get_foundation_model(identifier)})

    def get_foundation_model_availability(self) -> Response:
        model_id = self._input()["modelId"]
        return self._json(self.bedrock_backend.get_foundation_model_availability(model_id))

    def list_foundation_model_agreement_offers(self) -> Response:
        model_id = self._input()["modelId"]
        offers = self.bedrock_backend.list_foundation_model_agreement_offers(model_id)
        return self._json({"modelId": model_id, "offers": offers})

    def create_foundation_model_agreement(self) -> Response:
        params = self._input()
        model_id = self.bedrock_backend.create_foundation_model_agreement(
            params["modelId"], params["offerToken"]
        )
        return self._json({"modelId": model_id}, 202)

    def delete_foundation_model_agreement(self) -> Response:
        self.bedrock_backend.delete_foundation_model_agreement(self._input()["modelId"])
        return self._json({}, 202)

    def put_use_case_for_model_access(self) -> Response:
        self.bedrock_backend.put_use_case_for_model_access(self._input()["formData"])
        return self._json({}, 201)

    def get_use_case_for_model_access(self) -> Response:
        form = self.bedrock_backend.get_use_case_for_model_access()
        return self._json({"formData": base64.b64encode(form).decode()})
