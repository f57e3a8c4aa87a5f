#!/bin/bash
# Nightshift live response script for Linux and macOS: delete one file by its path (Microsoft Defender
# for Endpoint RunScript). The same contract as nightshift-delete-file.ps1:
#   -PathBase64 <base64> [-Sha256 <hex>]
# one line "nightshift-result: {json}"; exit 0 gone (deleted / absent), 2 refused, 1 failed.
set -u

path_b64=''
want=''
while [ $# -gt 0 ]; do
  case "$1" in
    -PathBase64) path_b64="${2:-}"; shift 2 ;;
    -Sha256) want="${2:-}"; shift 2 ;;
    *) shift ;;
  esac
done

result() { # outcome code [extra json fields, already escaped]
  printf 'nightshift-result: {"action":"delete_file","outcome":"%s"%s}\n' "$1" "${3:-}"
  exit "$2"
}

path="$(printf '%s' "$path_b64" | base64 -d 2>/dev/null)" || result refused 2 ',"reason":"PathBase64 is not base64"'
case "$want" in ''|[0-9a-fA-F]*) ;; *) result refused 2 ',"reason":"Sha256 is not hex"' ;; esac
if [ -n "$want" ] && [ "${#want}" -ne 64 ]; then result refused 2 ',"reason":"Sha256 is not 64 hex digits"'; fi
case "$path" in /*) ;; *) result refused 2 ',"reason":"not an absolute path"' ;; esac

if [ ! -e "$path" ] && [ ! -L "$path" ]; then result absent 0; fi
if [ -d "$path" ] && [ ! -L "$path" ]; then result refused 2 ',"reason":"a directory, not a file"'; fi

if command -v sha256sum >/dev/null 2>&1; then
  hash="$(sha256sum -- "$path" | cut -d' ' -f1)"
else
  hash="$(shasum -a 256 -- "$path" | cut -d' ' -f1)"
fi
want_lc="$(printf '%s' "$want" | tr '[:upper:]' '[:lower:]')"
if [ -n "$want" ] && [ "$hash" != "$want_lc" ]; then
  result refused 2 ",\"reason\":\"hash mismatch\",\"sha256\":\"$hash\""
fi

rm -f -- "$path" || result failed 1 ",\"sha256\":\"$hash\",\"error\":\"rm failed\""
if [ -e "$path" ]; then result failed 1 ",\"sha256\":\"$hash\",\"error\":\"still present after rm\""; fi
result deleted 0 ",\"sha256\":\"$hash\""
