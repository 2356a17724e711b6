/**
 * page.goto, again when Chromium aborts it because a network appeared: every cluster that starts on
 * this host (this run's, or the integration files' and the lesson walk's beside it) adds a bridge,
 * and Chromium drops a navigation under way with ERR_NETWORK_CHANGED.
 */
import type { Page, Response } from '@playwright/test';

export async function gotoSteadily(page: Page, url: string): Promise<Response | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await page.goto(url);
    } catch (err) {
      if (attempt >= 3 || !String(err).includes('ERR_NETWORK_CHANGED')) throw err;
    }
  }
}
