#!/usr/bin/env bash
# Installs Debian's chromium for the live page's browser test (tests/test_live_page.py), when
# /usr/bin/chromium is missing. CI machines are fresh Debian where this runs as root; elsewhere
# it uses sudo if there is one, and otherwise says how to install it (the test then skips
# locally, and fails under CI=true).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi
packages=(chromium fonts-dejavu-core) # a font too: the screenshot check needs text drawn
if [ "$(id -u)" -eq 0 ]; then
    as_root=(env DEBIAN_FRONTEND=noninteractive)
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n env DEBIAN_FRONTEND=noninteractive)
else
    echo "install-chromium.sh: /usr/bin/chromium is missing; as root, run" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${packages[*]}" >&2
    exit 0
fi
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
/usr/bin/chromium --version
