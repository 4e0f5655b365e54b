import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * A phone number in E.164, or null when it is not a valid number. Spain is the default country,
 * so "612 345 678" and "+34 612345678" both give "+34612345678".
 */
export function toE164(input: string | null | undefined): string | null {
  if (!input) return null;
  const trimmed = input.trim();
  if (!trimmed || trimmed.length > 32) return null;
  const parsed = parsePhoneNumberFromString(trimmed, 'ES');
  return parsed && parsed.isValid() ? parsed.number : null;
}
