// Number formatting shared by the recommendation reasons and the text report: a few
// significant digits, thousands separators for rates, MiB/GiB for sizes.
export function fmtMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

export function fmtCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtMiB(bytes: number): string {
  const mib = bytes / 2 ** 20;
  return `${mib >= 100 ? mib.toFixed(0) : mib >= 10 ? mib.toFixed(1) : mib.toFixed(2)} MiB`;
}

export function fmtGiB(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

export function fmtMiBPerS(mibPerS: number): string {
  return `${mibPerS >= 100 ? mibPerS.toFixed(0) : mibPerS.toFixed(1)} MiB/s`;
}

export function fmtPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(0)}%`;
}
