# Nightshift live response script: delete one file by its path (Microsoft Defender for Endpoint
# RunScript). Shipped with Nightshift and installed into the tenant's library by it; see
# docs/defender.md "Live response". Irreversible: prefer defender.quarantine_file when the SHA-1 is
# known (reversible, reference 15.6).
#
# Arguments (simple tokens only; text arrives base64-encoded so no quoting rule matters):
#   -PathBase64 <base64>   the file's full local path (UTF-8)
#   -Sha256 <hex>          optional: delete only if the file has this SHA-256 (the detection's file,
#                          not whatever is at that path now)
#
# Prints exactly one line "nightshift-result: {json}" and exits
#   0  the file is gone: deleted now ("deleted") or already absent ("absent") - idempotent
#   2  refused: not a local absolute path, a directory, or another file (hash mismatch)
#   1  deleting failed
param(
    [Parameter(Mandatory = $true)][string]$PathBase64,
    [string]$Sha256 = ''
)
$ErrorActionPreference = 'Stop'

function Write-Result([string]$Outcome, [int]$Code, [hashtable]$Detail = @{}) {
    $result = [ordered]@{ action = 'delete_file'; outcome = $Outcome }
    foreach ($key in $Detail.Keys) { $result[$key] = $Detail[$key] }
    Write-Output ('nightshift-result: ' + ($result | ConvertTo-Json -Compress))
    exit $Code
}

try {
    $path = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($PathBase64))
} catch {
    Write-Result 'refused' 2 @{ reason = 'PathBase64 is not base64' }
}
if ($Sha256 -and $Sha256 -notmatch '^[0-9A-Fa-f]{64}$') {
    Write-Result 'refused' 2 @{ reason = 'Sha256 is not 64 hex digits' }
}
# A local absolute path (C:\...), never a share, a device path or a relative one.
if ($path -notmatch '^[A-Za-z]:\\' -or $path.Contains([char]0)) {
    Write-Result 'refused' 2 @{ reason = 'not a local absolute path' }
}

if (-not (Test-Path -LiteralPath $path)) { Write-Result 'absent' 0 }
if (Test-Path -LiteralPath $path -PathType Container) {
    Write-Result 'refused' 2 @{ reason = 'a directory, not a file' }
}

$hash = (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash.ToLowerInvariant()
if ($Sha256 -and $hash -ne $Sha256.ToLowerInvariant()) {
    Write-Result 'refused' 2 @{ reason = 'hash mismatch'; sha256 = $hash }
}

try {
    Remove-Item -LiteralPath $path -Force
} catch {
    Write-Result 'failed' 1 @{ sha256 = $hash; error = $_.Exception.Message }
}
if (Test-Path -LiteralPath $path) {
    Write-Result 'failed' 1 @{ sha256 = $hash; error = 'still present after Remove-Item' }
}
Write-Result 'deleted' 0 @{ sha256 = $hash }
