#!/bin/sh
# Creates Nightshift's Temporal namespace once the server answers. Idempotent: an existing namespace is
# left as it is. POSIX sh: the admin-tools image is Alpine (busybox sh, no bash).
set -eu

NAMESPACE=${TEMPORAL_NAMESPACE:-default}
ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}
RETENTION=${TEMPORAL_NAMESPACE_RETENTION:-720h} # 30 days of closed runs, for audit
ATTEMPTS=${HEALTH_ATTEMPTS:-60}                # x 2 s: the first start (schema, shards) can be slow

attempt=1
until temporal operator cluster health --address "$ADDRESS" >/dev/null 2>&1; do
  if [ "$attempt" -ge "$ATTEMPTS" ]; then
    echo "create-namespace: Temporal at $ADDRESS was not healthy after $ATTEMPTS attempts" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done
echo "create-namespace: Temporal at $ADDRESS is healthy"

if temporal operator namespace describe --address "$ADDRESS" -n "$NAMESPACE" >/dev/null 2>&1; then
  echo "create-namespace: namespace $NAMESPACE already exists"
  exit 0
fi
# Right after the first start the frontend can answer health checks before the namespace registry is
# ready; retry creation a few times rather than fail the stack.
attempt=1
until temporal operator namespace create --address "$ADDRESS" -n "$NAMESPACE" --retention "$RETENTION"; do
  # Another run of this script (a restart) may have created it meanwhile.
  if temporal operator namespace describe --address "$ADDRESS" -n "$NAMESPACE" >/dev/null 2>&1; then
    break
  fi
  if [ "$attempt" -ge 10 ]; then
    echo "create-namespace: could not create namespace $NAMESPACE after $attempt attempts" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 3
done
echo "create-namespace: namespace $NAMESPACE is ready"
