"""moto's bedrock routes with our response class in place of moto's BedrockResponse."""

from moto.bedrock import urls as moto_urls
from moto.bedrock.responses import BedrockResponse

from .responses import BedrockControlResponse

url_bases = [
    *moto_urls.url_bases,
    r"https?://bedrock-fips\.(.+)\.amazonaws\.com",
    r"https?://bedrock(?:-fips)?\.(.+)\.api\.aws",
]

url_paths = {
    path: BedrockControlResponse.dispatch if handler == BedrockResponse.dispatch else handler
    for path, handler in moto_urls.url_paths.items()
}
