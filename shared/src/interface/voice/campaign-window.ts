import type { CampaignWindow } from './views.ts';

const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** Whether `value` is an IANA time zone this runtime knows ("Europe/Berlin", "UTC"). */
export function isTimeZone(value: string): boolean {
  try {
    formatter(value);
    return true;
  } catch {
    return false;
  }
}

/** Minutes since local midnight of an 'HH:MM' time (00:00–23:59), or null when malformed. */
export function minutesOf(time: string): number | null {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/** The local weekday (0 = Sunday) and minutes since local midnight of `at` in `timeZone` (DST-aware). */
export function localTime(at: Date, timeZone: string): { day: number; minutes: number } {
  let day = 0;
  let minutes = 0;
  for (const part of formatter(timeZone).formatToParts(at)) {
    if (part.type === 'weekday') day = WEEKDAYS[part.value] ?? 0;
    else if (part.type === 'hour') minutes += Number(part.value) * 60;
    else if (part.type === 'minute') minutes += Number(part.value);
  }
  return { day, minutes };
}

/**
 * Whether a campaign may call at `at`. The window opens at `start` on each listed local day and closes
 * at `end`; an `end` earlier than `start` closes the next day (22:00–02:00 on Monday covers Tuesday
 * 01:00), and `start` equal to `end` means the whole listed day.
 */
export function isWithinWindow(window: CampaignWindow, at: Date): boolean {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  if (start === null || end === null) return false;
  const { day, minutes } = localTime(at, window.timezone);
  const listed = (weekday: number) => window.days.includes(weekday);
  if (start === end) return listed(day);
  if (start < end) return listed(day) && minutes >= start && minutes < end;
  return (minutes >= start && listed(day)) || (minutes < end && listed((day + 6) % 7));
}
