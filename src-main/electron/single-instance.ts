import { app } from 'electron';

/**
 * One window app per user: a second launch hands over to the first (which comes to the front) and
 * quits. Returns false in the second instance.
 */
export function claimSingleInstance(onSecondLaunch: () => void): boolean {
  if (!app.requestSingleInstanceLock()) return false;
  app.on('second-instance', onSecondLaunch);
  return true;
}
