// The outbound dialer's front door: its pure scheduling rules.
export * from './window.ts';
export * from './rules.ts';
