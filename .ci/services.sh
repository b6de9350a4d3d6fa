# Sourced by .ci/run before the tests: what the tests need from the machine (PostgreSQL's binaries,
# Debian's Chromium), installed when missing.
# The tests start and stop the servers themselves (tests/pgserver.py: PostgreSQL in a temporary
# folder on a Unix socket); this only makes sure the binaries are there, and tells the tests that
# a missing server is a failure in CI, not a skip.

need_apt=()
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    need_apt+=(postgresql)
fi
if ! command -v chromium >/dev/null 2>&1; then
    need_apt+=(chromium)                 # the studio's browser test (tests/test_studio_browser.py)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    else
        echo "warning: the tests want ${need_apt[*]} (apt-get install ${need_apt[*]}); their tests will fail" >&2
    fi
fi
export LEADSCORE_REQUIRE_POSTGRES=1 LEADSCORE_REQUIRE_BROWSER=1
