#!/bin/sh
# Make Debian's chromium available for the report's browser test (tests/lean_local/test_report_browser.py).
# `make test` runs this script; it says what it does on every path, and never fails the caller (the rest of
# the test suite does not need a browser):
#   - chromium already on PATH (or /usr/bin/chromium): nothing to install;
#   - NO_SYSTEM_PACKAGES=1, not root, or no apt-get: nothing installed, the browser test skips;
#   - else: `apt-get install chromium fonts-dejavu-core` (about 300 MB), announced before it starts.
# The last line says whether the browser test will run, checked the way the test finds chromium.
set -u
CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
APT_GET=${APT_GET:-apt-get}

found() {
    command -v chromium >/dev/null 2>&1 || [ -x "$CHROMIUM_PATH" ]
}

verdict() {
    if found; then
        echo "install-chromium: $1; the browser test will run"
    else
        echo "install-chromium: $1; the browser test will skip (install Debian's chromium package to run it)"
    fi
    exit 0
}

if found; then
    verdict "chromium found, nothing installed"
fi
if [ "${NO_SYSTEM_PACKAGES:-0}" = "1" ]; then
    verdict "NO_SYSTEM_PACKAGES=1, nothing installed"
fi
if [ "$(id -u)" != "0" ]; then
    verdict "not root, nothing installed"
fi
if ! command -v "$APT_GET" >/dev/null 2>&1; then
    verdict "no apt-get, nothing installed"
fi
echo "install-chromium: installing Debian's chromium and fonts-dejavu-core with apt-get for the report's" \
     "browser test (NO_SYSTEM_PACKAGES=1 skips this)"
export DEBIAN_FRONTEND=noninteractive
if { "$APT_GET" update -qq && "$APT_GET" install -y -qq --no-install-recommends chromium fonts-dejavu-core; } \
        >/dev/null 2>&1; then
    verdict "apt-get installed chromium"
fi
verdict "apt-get could not install chromium (is another apt or dpkg running?)"
