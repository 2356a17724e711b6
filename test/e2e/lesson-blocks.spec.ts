/**
 * Lesson text blocks (issue 13): an output block's Copy never covers its text and long lines scroll
 * instead of being cut off; the home page's Continue goes to the first unfinished lesson.
 */
import { expect, test } from '@playwright/test';

test.use({ viewport: { width: 1280, height: 800 } });

test('output blocks scroll sideways and their Copy button covers no text', async ({ page }) => {
  await page.goto('/lessons/first-service');
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

test('Continue goes to the first unfinished lesson (a lesson without exercises counts once opened)', async ({ page }) => {
  await page.goto('/');
  const slugs = await page.locator('[data-lesson]').evaluateAll((els) => els.map((e) => e.getAttribute('data-lesson')!));
  expect(slugs.length).toBeGreaterThan(3);
  // Lesson 1 opened (it has no exercises), lessons 2 and 3 done, the last lesson visited: Continue goes to lesson 4.
  await page.evaluate((s) => {
    const lessons: Record<string, object> = { [s[0]!]: { visited: true }, [s[1]!]: { visited: true, completed: true }, [s[2]!]: { visited: true, completed: true }, [s.at(-1)!]: { visited: true } };
    localStorage.setItem('swb.progress.v1', JSON.stringify({ lessons, lastLesson: s.at(-1) }));
  }, slugs);
  await page.reload();
  const resume = page.getByRole('link', { name: /^Continue:/ });
  await expect(resume).toHaveAttribute('href', `/lessons/${slugs[3]}`);
  await expect(page.locator(`[data-lesson="${slugs[0]}"]`)).toHaveAttribute('data-progress', 'done');
});
