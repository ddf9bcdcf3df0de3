import { describe, expect, it } from 'vitest';
import { isTimeZone, isWithinWindow, localTime, minutesOf } from './campaign-window.ts';

const weekdays = [1, 2, 3, 4, 5];

describe('campaign time windows', () => {
  it('reads local weekday and time in the window time zone, across DST', () => {
    // 2026-07-06 is a Monday; Berlin is UTC+2 in summer, New York UTC-4.
    expect(localTime(new Date('2026-07-06T07:30:00Z'), 'Europe/Berlin')).toEqual({ day: 1, minutes: 570 });
    expect(localTime(new Date('2026-07-06T02:00:00Z'), 'America/New_York')).toEqual({
      day: 0,
      minutes: 1320,
    });
    // Winter: Berlin UTC+1.
    expect(localTime(new Date('2026-01-05T07:30:00Z'), 'Europe/Berlin')).toEqual({ day: 1, minutes: 510 });
  });

  it('opens on listed days between start and end, end excluded', () => {
    const window = { timezone: 'Europe/Berlin', days: weekdays, start: '09:00', end: '17:00' };
    expect(isWithinWindow(window, new Date('2026-07-06T07:00:00Z'))).toBe(true); // Mon 09:00
    expect(isWithinWindow(window, new Date('2026-07-06T06:59:00Z'))).toBe(false); // Mon 08:59
    expect(isWithinWindow(window, new Date('2026-07-06T15:00:00Z'))).toBe(false); // Mon 17:00
    expect(isWithinWindow(window, new Date('2026-07-05T10:00:00Z'))).toBe(false); // Sun 12:00
  });

  it('runs past midnight into the next day when end is earlier than start', () => {
    const window = { timezone: 'UTC', days: [1], start: '22:00', end: '02:00' };
    expect(isWithinWindow(window, new Date('2026-07-06T23:00:00Z'))).toBe(true); // Mon 23:00
    expect(isWithinWindow(window, new Date('2026-07-07T01:59:00Z'))).toBe(true); // Tue 01:59, Monday's window
    expect(isWithinWindow(window, new Date('2026-07-07T02:00:00Z'))).toBe(false);
    expect(isWithinWindow(window, new Date('2026-07-06T01:00:00Z'))).toBe(false); // Mon 01:00 is Sunday's window
    expect(isWithinWindow(window, new Date('2026-07-07T23:00:00Z'))).toBe(false); // Tue 23:00, Tuesday not listed
  });

  it('treats equal start and end as the whole day, and validates its inputs', () => {
    const window = { timezone: 'Asia/Tokyo', days: [6], start: '00:00', end: '00:00' };
    expect(isWithinWindow(window, new Date('2026-07-11T14:59:00Z'))).toBe(true); // Sat 23:59 Tokyo
    expect(isWithinWindow(window, new Date('2026-07-11T15:00:00Z'))).toBe(false); // Sun 00:00 Tokyo
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(minutesOf('23:59')).toBe(1439);
    expect(minutesOf('24:00')).toBeNull();
    expect(minutesOf('9:00')).toBeNull();
  });
});
