"""TagResource, UntagResource and ListTagsForResource for every taggable resource of the control
plane, over moto's tagger.

Which ARNs exist is moto's own hook, `_list_arns()`: moto lists its customization jobs and
custom models, and every feature mixin that creates taggable resources extends it with
`return [*super()._list_arns(), *<its ARNs>]` (under its own lock). Such a mixin tags a resource
at creation through `self.tagger` (`moto_tags` converts AWS's tag list) and calls
`self.tagger.delete_all_tags_for_resource(arn)` when it deletes it.

AWS allows 50 tags a resource, counting the keys it already has with the new keys of the request
(a key given again replaces its value); more is TooManyTagsException naming the resource. Keys
and values are checked against botocore's shapes (lengths and AWS's character set) before any
of this runs.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.bedrock.models import BedrockBackend

from .. import json_input
from ..errors import BedrockError, ResourceNotFoundException, ValidationException
from ..request_shapes import ShapeError, input_shape, parse_body
from .common import ControlHandlers, Response
from .owned_resources import MAX_TAGS, TOO_MANY_TAGS

NOT_FOUND = (
    "The specified resource Amazon Resource Name (ARN) was not found. Check the Amazon Resource "
    "Name (ARN) and try your request again."
)


def moto_tags(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    """AWS's `[{key, value}]` as moto's tagger stores it."""
    return [{"Key": tag["key"], "Value": tag["value"]} for tag in tags]


class Tagging(BedrockBackend):
    """Backend mixin: tags on any ARN the `_list_arns()` chain lists."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self._tag_lock = threading.RLock()

    def _require(self, resource_arn: str) -> None:
        if resource_arn not in self._list_arns():
            raise ResourceNotFoundException(NOT_FOUND)

    def tag_resource(self, resource_arn: str, tags: list[dict[str, str]]) -> None:
        with self._tag_lock:
            self._require(resource_arn)
            current = self.tagger.list_tags_for_resource(resource_arn)["Tags"]
            keys = {tag["Key"] for tag in current} | {tag["key"] for tag in tags}
            if len(keys) > MAX_TAGS:
                raise BedrockError(
                    TOO_MANY_TAGS, code="TooManyTagsException", resourceName=resource_arn
                )
            self.tagger.tag_resource(resource_arn, moto_tags(tags))

    def untag_resource(self, resource_arn: str, tag_keys: list[str]) -> None:
        with self._tag_lock:
            self._require(resource_arn)
            self.tagger.untag_resource_using_names(resource_arn, tag_keys)

    def list_tags_for_resource(self, resource_arn: str) -> list[dict[str, str]]:
        with self._tag_lock:
            self._require(resource_arn)
            tags = self.tagger.list_tags_for_resource(resource_arn)["Tags"]
        return [{"key": tag["Key"], "value": tag["Value"]} for tag in tags]


class TaggingHandlers(ControlHandlers):
    """Response mixin: the three tag operations, their input validated against botocore's
    shapes (moto's own handlers read the body unchecked)."""

    bedrock_backend: Tagging

    def _tag_input(self) -> dict[str, Any]:
        """The input as `_input()` checks it, except that the ARN of a resource this account
        has passes whatever its form: moto names its customization jobs and custom models
        `…:model-customization-job/<name>` and `…:custom-model/<name>`, outside botocore's
        TaggableResourcesArn pattern, and they stay taggable."""
        try:
            return self._input()
        except ValidationException:
            try:
                data = json_input.loads(self.body)
                known = data["resourceARN"] in self.bedrock_backend._list_arns()
            except (ValueError, TypeError, KeyError):
                known = False
            if not known:
                raise
        try:
            return parse_body(
                input_shape("bedrock", self._get_action()), data, skip=["resourceARN"]
            )
        except ShapeError as exc:
            raise ValidationException(exc.message) from exc

    def tag_resource(self) -> Response:
        params = self._tag_input()
        self.bedrock_backend.tag_resource(params["resourceARN"], params["tags"])
        return self._json({})

    def untag_resource(self) -> Response:
        params = self._tag_input()
        self.bedrock_backend.untag_resource(params["resourceARN"], params["tagKeys"])
        return self._json({})

    def list_tags_for_resource(self) -> Response:
        arn = self._tag_input()["resourceARN"]
        return self._json({"tags": self.bedrock_backend.list_tags_for_resource(arn)})
