// Sliding-window counting for quota assertions (tests) and figures (bench): the most events in any
// window of `ms`, from their timestamps — how Defender counts its quota.
export function peakInWindow(times: number[], ms: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i] - t[j] >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}
