/**
 * Lesson text blocks (issue 13): an output block's Copy never covers its text and long lines scroll
 * instead of being cut off. (The home page's Continue: continue.spec.ts.)
 */
import { expect, test } from '@playwright/test';
import { gotoSteadily } from './navigation.ts';

test.use({ viewport: { width: 1280, height: 800 } });

test('output blocks scroll sideways and their Copy button covers no text', async ({ page }) => {
  await gotoSteadily(page, '/lessons/first-service');
  const blocks = page.locator('[class*="codeBlock"]');
  expect(await blocks.count()).toBeGreaterThan(0);
  let scrolled = 0;
  for (const block of await blocks.all()) {
    const pre = block.locator('pre');
    const copy = block.getByRole('button', { name: 'Copy' });
    const [p, c] = [await pre.boundingBox(), await copy.boundingBox()];
    expect(p && c, 'block and Copy are on the page').toBeTruthy();
    const overlaps = c!.x < p!.x + p!.width && c!.x + c!.width > p!.x && c!.y < p!.y + p!.height && c!.y + c!.height > p!.y;
    expect(overlaps, 'Copy sits outside the text box').toBe(false);
    const m = await pre.evaluate((el) => ({ sw: el.scrollWidth, cw: el.clientWidth, ox: getComputedStyle(el).overflowX }));
    if (m.sw > m.cw) {
      expect(m.ox).toBe('auto');
      // The end of the longest line can be scrolled into view.
      await pre.evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
      expect(await pre.evaluate((el) => el.scrollLeft + el.clientWidth)).toBeGreaterThanOrEqual(m.sw - 1);
      scrolled++;
    }
  }
  expect(scrolled, 'lesson 3 has an output wider than the text column').toBeGreaterThan(0);
});
