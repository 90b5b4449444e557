#!/bin/sh
# Install Debian's chromium for the report's browser test (tests/lean_local/test_report_browser.py).
# A no-op when /usr/bin/chromium is already there, or when we are not root (the test then skips and
# says why); never fails the caller, because the rest of the test suite does not need a browser.
set -u
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "install-chromium: not root, skipping (install Debian's chromium package to run the browser test)" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium: no apt-get, skipping (install chromium to run the browser test)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } >/dev/null; then
    echo "install-chromium: apt-get could not install chromium; the browser test will skip" >&2
fi
exit 0
