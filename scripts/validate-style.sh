#!/usr/bin/env bash
# Validates styles/ecospace.json against the MapLibre style spec (run scripts/setup.sh first).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/gl-style-validate ]; then
  echo "validate-style.sh: node_modules missing: run scripts/setup.sh first" >&2
  exit 1
fi
npx --no-install gl-style-validate styles/ecospace.json
echo "styles/ecospace.json: valid MapLibre style v8"
