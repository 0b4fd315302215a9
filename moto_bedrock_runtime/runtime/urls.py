"""Hosts and paths moto routes to bedrock-runtime, including the FIPS and dual-stack hosts
botocore resolves to with use_fips_endpoint / use_dualstack_endpoint."""

from .responses import BedrockRuntimeResponse

url_bases = [
    r"https?://bedrock-runtime\.(.+)\.amazonaws\.com",
    r"https?://bedrock-runtime-fips\.(.+)\.amazonaws\.com",
    r"https?://bedrock-runtime(?:-fips)?\.(.+)\.api\.aws",
]

url_paths = {
    "{0}/.*$": BedrockRuntimeResponse.dispatch,
}
