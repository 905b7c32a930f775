#!/usr/bin/env bash
# The rooms of src/ and their order in the flow; an include may only point to a room lower in
# this list, or to its own. alert and eval are siblings: neither may include the other.
#   check-layers.sh SRC_DIR   (exit 1 naming every include that points the wrong way)
set -euo pipefail
src=${1:?usage: check-layers.sh SRC_DIR}
declare -A rank=([core]=0 [syscalls]=1 [docker]=2 [capture]=3 [transport]=4 [detect]=5
                 [alert]=6 [eval]=6 [app]=7)
bad=0
for dir in "$src"/*/; do
  room=$(basename "$dir")
  if [ -z "${rank[$room]:-}" ]; then
    echo "check-layers: src/$room is not a known room; give it a place in tests/check-layers.sh"
    bad=1
    continue
  fi
  while IFS=: read -r file line include; do
    target=$(sed -E 's|.*#include "([a-z_]+)/.*|\1|' <<<"$include")
    [ "$target" = "$room" ] && continue
    if [ -z "${rank[$target]:-}" ] || [ "${rank[$target]}" -ge "${rank[$room]}" ]; then
      echo "check-layers: ${file#"$src"/}:$line: $room includes $target ($include)"
      bad=1
    fi
  done < <(grep -rnE '^#include "[a-z_]+/' "$dir" --include='*.h' --include='*.cpp' --include='*.c' || true)
done
[ "$bad" = 0 ] && echo "check-layers: every include points down the flow"
exit $bad
