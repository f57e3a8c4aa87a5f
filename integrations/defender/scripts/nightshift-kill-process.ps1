# Nightshift live response script: stop one process by its id (Microsoft Defender for Endpoint
# RunScript). Shipped with Nightshift and installed into the tenant's library by it; see
# docs/defender.md "Live response".
#
# Arguments (simple tokens only; text arrives base64-encoded so no quoting rule matters):
#   -ProcessId <n>                 the process to stop
#   -ProcessNameBase64 <base64>    optional: the image name it must have (UTF-8), e.g. "evil.exe";
#                                  guards against a process id reused since the detection
#
# Prints exactly one line "nightshift-result: {json}" and exits
#   0  the process is gone: stopped now ("killed") or not running ("not_running") - idempotent
#   2  refused: a protected process id or system process, or the name does not match
#   1  stopping failed
param(
    [Parameter(Mandatory = $true)][UInt32]$ProcessId,
    [string]$ProcessNameBase64 = ''
)
$ErrorActionPreference = 'Stop'

function Write-Result([string]$Outcome, [int]$Code, [hashtable]$Detail = @{}) {
    $result = [ordered]@{ action = 'kill_process'; outcome = $Outcome; process_id = $ProcessId }
    foreach ($key in $Detail.Keys) { $result[$key] = $Detail[$key] }
    Write-Output ('nightshift-result: ' + ($result | ConvertTo-Json -Compress))
    exit $Code
}

# Killing these stops the machine (or the script itself): never.
$Protected = @('system', 'idle', 'smss', 'csrss', 'wininit', 'winlogon', 'services', 'lsass', 'lsaiso',
    'svchost', 'mssense', 'sensecncproxy', 'senseir', 'msmpeng', 'registry', 'memory compression')
if ($ProcessId -eq 0 -or $ProcessId -eq 4 -or $ProcessId -eq $PID) {
    Write-Result 'refused' 2 @{ reason = 'protected process id' }
}

$expected = ''
if ($ProcessNameBase64) {
    try {
        $expected = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($ProcessNameBase64))
    } catch {
        Write-Result 'refused' 2 @{ reason = 'ProcessNameBase64 is not base64' }
    }
}

$process = Get-Process -Id $ProcessId -ErrorAction SilentlyContinue
if (-not $process) { Write-Result 'not_running' 0 }

$name = $process.ProcessName
if ($Protected -contains $name.ToLowerInvariant()) {
    Write-Result 'refused' 2 @{ reason = 'system process'; name = $name }
}
if ($expected) {
    $want = [IO.Path]::GetFileNameWithoutExtension($expected)
    if (-not [string]::Equals($want, $name, [StringComparison]::OrdinalIgnoreCase)) {
        Write-Result 'refused' 2 @{ reason = 'name mismatch'; name = $name; expected = $expected }
    }
}

try {
    Stop-Process -Id $ProcessId -Force
    [void]$process.WaitForExit(10000)
} catch {
    if (Get-Process -Id $ProcessId -ErrorAction SilentlyContinue) {
        Write-Result 'failed' 1 @{ name = $name; error = $_.Exception.Message }
    }
}
if (Get-Process -Id $ProcessId -ErrorAction SilentlyContinue) {
    Write-Result 'failed' 1 @{ name = $name; error = 'still running 10 s after Stop-Process' }
}
Write-Result 'killed' 0 @{ name = $name }
