#!/bin/sh
# Print a template with its ${ZOUFANG_…} values filled in from the
# environment, leaving every other $word (nginx's variables) alone.
# Refuses a template naming a value that is not set. Used by `make stack`
# and by the proxy image, so both serve the same nginx site.
set -eu
template=$1
names=$(grep -o '\${ZOUFANG_[A-Z0-9_]*}' "$template" | sort -u | sed 's/^\${//; s/}$//')
for name in $names; do
  eval "value=\${$name-}"
  if [ -z "$value" ]; then
    echo "$template: $name is not set" >&2
    exit 1
  fi
done
envsubst "$(for name in $names; do printf '${%s} ' "$name"; done)" <"$template"
