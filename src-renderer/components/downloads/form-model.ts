import type { CommonOptions } from '../../stores/downloads.js';

/** What the new-download form edits, and how it becomes a request. Pure, so it is easy to test. */

/** What the form asks for: one link or several (one task each), with the options typed in the form. */
export interface DownloadRequest {
  urls: string[];
  options: CommonOptions;
}

/** One editable request header; `id` keeps Vue's row identity stable while names are typed. */
export interface HeaderRow {
  id: number;
  name: string;
  value: string;
}

/** Rows left entirely empty are ignored; anything else is sent as typed (the engine checks it: 202). */
export function headersFromRows(rows: readonly HeaderRow[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const row of rows) {
    const name = row.name.trim();
    if (name === '' && row.value.trim() === '') continue;
    headers[name] = row.value;
  }
  return headers;
}

/** KiB/s as typed into the form → bytes per second for the engine (0 = no limit). */
export function speedLimitFromKiB(text: string | number): number {
  const value = typeof text === 'number' ? text : Number(String(text).trim() || '0');
  return Number.isFinite(value) && value > 0 ? Math.round(value * 1024) : 0;
}

/** The links a drag carries: `text/uri-list` first (the standard), else plain text. */
export function linksFromDataTransfer(data: DataTransfer | null): string {
  if (!data) return '';
  return data.getData('text/uri-list') || data.getData('text/plain') || '';
}

/** Whether a drag may carry a link, so the page should accept the drop. */
export function dragHasLinks(data: DataTransfer | null): boolean {
  if (!data) return false;
  const types = Array.from(data.types ?? []);
  return types.includes('text/uri-list') || types.includes('text/plain');
}
