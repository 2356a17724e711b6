/**
 * The home page's Continue leads forward (issue 22): after a middle lesson is finished it names the
 * next lesson, not the reading-only first lesson the learner skipped; a reading-only lesson counts as
 * read once its end was in view.
 *
 * The passes of the middle lesson are stored through the server's own progress store (as Apply
 * solution or a workshop catch-up would leave them), so no cluster has to walk the lesson; the
 * path from there is the real one: the lesson page gets the verdicts over its socket, the browser
 * remembers the lesson as done, and the home page reads that.
 */
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { E2E_INSTANCE } from '../../playwright.config.ts';
import { SESSION_COOKIE } from '@contract/protocol.ts';
import { ProgressStore } from '../../sandbox-server/src/checks/progress.ts';
import { hashToken } from '../../sandbox-server/src/sessions/manager.ts';
import { gotoSteadily } from './navigation.ts';

test.use({ viewport: { width: 1280, height: 800 } });

/** The e2e server's session database (playwright.config.ts: SWB_DATA_DIR, SWB_INSTANCE). */
const progressFile = path.resolve(`.data/${E2E_INSTANCE}`, `sessions-${E2E_INSTANCE}.db`);

interface Card {
  slug: string;
  title: string;
}

async function lessonCards(page: Page): Promise<Card[]> {
  await gotoSteadily(page, '/');
  return page.locator('[data-lesson]').evaluateAll((els) => els.map((e) => ({ slug: e.getAttribute('data-lesson')!, title: e.querySelector('h2')!.textContent!.trim() })));
}

/** What this browser remembers of a lesson (app/_lib/progress.ts). */
const remembered = (page: Page, slug: string) =>
  page.evaluate((s) => (JSON.parse(localStorage.getItem('swb.progress.v1') ?? '{"lessons":{}}') as { lessons: Record<string, { completed?: boolean }> }).lessons[s] ?? {}, slug);

test('after finishing a middle lesson, Continue on the home page names the next one', async ({ page }) => {
  const cards = await lessonCards(page);
  const middle = cards.findIndex((c) => c.slug === 'scaling');
  expect(middle, 'lesson 6 is in the list').toBeGreaterThan(0);
  const [done, next] = [cards[middle]!, cards[middle + 1]!];

  // The learner opens the lesson (the page makes their session) and does every exercise.
  await gotoSteadily(page, `/lessons/${done.slug}`);
  const exercises = page.locator('[data-exercise-id]');
  await expect(exercises.first()).toBeVisible();
  const ids = await exercises.evaluateAll((els) => els.map((e) => e.getAttribute('data-exercise-id')!));
  await expect.poll(async () => (await page.context().cookies()).some((c) => c.name === SESSION_COOKIE)).toBe(true);
  const token = (await page.context().cookies()).find((c) => c.name === SESSION_COOKIE)!.value;
  const store = new ProgressStore(progressFile);
  try {
    for (const id of ids) store.record(hashToken(decodeURIComponent(token)), done.slug, id, true, 'done');
  } finally {
    store.close();
  }
  await page.reload();
  for (const id of ids) await expect(page.locator(`[data-exercise-id="${id}"]`)).toHaveAttribute('data-state', 'passed');
  await expect.poll(() => remembered(page, done.slug)).toMatchObject({ completed: true });

  await gotoSteadily(page, '/');
  await expect(page.locator(`[data-lesson="${done.slug}"]`)).toHaveAttribute('data-progress', 'done');
  // Lessons 1 to 5 were never opened; Continue still goes forward.
  await expect(page.locator(`[data-lesson="${cards[0]!.slug}"]`)).toHaveAttribute('data-progress', 'new');
  const resume = page.getByRole('link', { name: /^Continue:/ });
  await expect(resume).toHaveText(`Continue: ${next.title} →`);
  await expect(resume).toHaveAttribute('href', `/lessons/${next.slug}`);
  await resume.click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(next.title);
});

test('a reading-only lesson counts as read once its end is in view, and Continue then moves on', async ({ page }) => {
  const [intro, second] = await lessonCards(page);
  await gotoSteadily(page, `/lessons/${intro!.slug}`);
  const end = page.getByRole('navigation', { name: 'Lessons' });
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(intro!.title);
  await expect(end, 'lesson 1 is longer than the window (otherwise opening it is reading it)').not.toBeInViewport();

  // Opened, not read: Continue offers it again.
  await gotoSteadily(page, '/');
  await expect(page.locator(`[data-lesson="${intro!.slug}"]`)).toHaveAttribute('data-progress', 'started');
  await expect(page.getByRole('link', { name: /^Continue:/ })).toHaveAttribute('href', `/lessons/${intro!.slug}`);

  await gotoSteadily(page, `/lessons/${intro!.slug}`);
  await end.scrollIntoViewIfNeeded();
  await expect.poll(() => remembered(page, intro!.slug)).toMatchObject({ completed: true });
  await gotoSteadily(page, '/');
  await expect(page.locator(`[data-lesson="${intro!.slug}"]`)).toHaveAttribute('data-progress', 'done');
  await expect(page.getByRole('link', { name: /^Continue:/ })).toHaveAttribute('href', `/lessons/${second!.slug}`);
});
