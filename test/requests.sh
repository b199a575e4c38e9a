#!/usr/bin/env bash
# Print the test proxy's request counters ("target<TAB>requests<TAB>items<TAB>bytes"),
# or reset them with `test/requests.sh reset`.  Needs PROXY_PORT (source DIR/env).
set -euo pipefail
: "${PROXY_PORT:?PROXY_PORT is not set; source the env file written by test/stack.sh start DIR}"

case "${1:-}" in
  reset) curl -sSf -o /dev/null -X POST "http://127.0.0.1:$PROXY_PORT/__reset" ;;
  "") curl -sSf "http://127.0.0.1:$PROXY_PORT/__stats?format=tsv" ;;
  *) echo "usage: $0 [reset]" >&2; exit 2 ;;
esac
