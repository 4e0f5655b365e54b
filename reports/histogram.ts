import { HIST_BUCKETS } from '../store/reports.repo.ts';

/**
 * Answer times come from summed histograms (migration 005, report_answer_bucket): bucket i
 * (1-based) holds answers in (lower, upper] seconds; 1..60 are one second wide, 61..84 five
 * seconds wide up to 180 s, and 85 holds everything longer.
 */
export function upperBound(bucket: number): number | null {
  if (bucket <= 60) return bucket;
  if (bucket < HIST_BUCKETS) return 60 + (bucket - 60) * 5;
  return null;
}

/** The telecare sector's targets, and the European one. */
export const ANSWER_TARGETS = [
  { key: 'within60', seconds: 60, share: 0.975, label: '97,5 % en 60 s' },
  { key: 'within180', seconds: 180, share: 0.99, label: '99 % en 180 s' },
  { key: 'europe60', seconds: 60, share: 0.985, label: 'Europa: 98,5 % en 60 s' },
] as const;

/**
 * The p-quantile of the answered calls, as the upper bound of its bucket (a conservative reading);
 * null when nothing was answered, or when it lies beyond 180 s.
 */
export function quantile(hist: ArrayLike<number>, p: number): number | null {
  let n = 0;
  for (let i = 0; i < hist.length; i++) n += hist[i]!;
  if (n === 0) return null;
  const rank = Math.ceil(p * n);
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]!;
    if (seen >= rank) return upperBound(i + 1);
  }
  return null;
}

/** Answered within `seconds` (60 or 180), over every call offered: an abandoned call never counts as within. */
export function shareWithin(hist: ArrayLike<number>, seconds: 60 | 180, offered: number): number | null {
  if (offered === 0) return null;
  const last = seconds === 60 ? 60 : HIST_BUCKETS - 1;
  let within = 0;
  for (let i = 0; i < last; i++) within += hist[i]!;
  return within / offered;
}
