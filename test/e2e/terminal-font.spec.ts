/**
 * Every underscore in the terminal is drawn (issue 13: `flask_app` read "flask app"): the real
 * terminal shows `echo flask_app lucid_khorana`, and the pixels of each `_` cell of the output row
 * are read from a screenshot at 90 %, 100 % and 125 % zoom (device pixel ratio, as browser zoom
 * sets it). A control row clipped the way the old settings clipped proves the probe can fail.
 */
import { expect, test, type Page } from '@playwright/test';
import { openTerminal, terminalScreen, typeCommand } from './terminal.ts';
import { gotoSteadily } from './navigation.ts';

const TEXT = 'flask_app lucid_khorana';

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Boxes (CSS px) of the cells of `chars` in the first element under `root` whose text is exactly `text`. */
async function cellBoxes(page: Page, rootSelector: string, text: string): Promise<{ row: Box; cells: Box[] }> {
  return page.evaluate(
    ({ rootSelector, text }) => {
      const root = document.querySelector(rootSelector);
      const row = root && [root, ...root.querySelectorAll('div, span')].find((el) => el.textContent?.replace(/\s+$/, '') === text);
      if (!row) return { row: { x: 0, y: 0, width: 0, height: 0 }, cells: [] };
      const rowBox = row.getBoundingClientRect();
      const walker = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
      const cells: { x: number; y: number; width: number; height: number }[] = [];
      let index = 0;
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const value = node.textContent ?? '';
        for (let i = 0; i < value.length && index < text.length; i++, index++) {
          const range = document.createRange();
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const r = range.getBoundingClientRect();
          cells.push({ x: r.left, y: rowBox.top, width: r.width, height: rowBox.height });
        }
      }
      return { row: { x: rowBox.left, y: rowBox.top, width: rowBox.width, height: rowBox.height }, cells };
    },
    { rootSelector, text },
  );
}

/** Dark pixels in the lower half of a box of the page (the underscore's part of a cell), read in the browser. */
async function inkInLowerHalf(page: Page, box: Box): Promise<number> {
  const png = await page.screenshot({ clip: box, scale: 'device', animations: 'disabled', caret: 'hide' });
  return page.evaluate(async (base64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${base64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const { data, width, height } = ctx.getImageData(0, 0, img.width, img.height);
    let ink = 0;
    for (let y = Math.floor(height / 2); y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        const lum = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
        if (lum < 150) ink++;
      }
    }
    return ink;
  }, png.toString('base64'));
}

test.use({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });

test('every underscore of `flask_app lucid_khorana` is drawn in the terminal at 90 %, 100 % and 125 %', async ({ page, browser }) => {
  test.setTimeout(420_000);
  const outside: string[] = [];
  const fontFiles: string[] = [];
  const watch = (p: Page) => {
    p.on('request', (r) => {
      const url = new URL(r.url());
      if (!['127.0.0.1', 'localhost'].includes(url.hostname) && url.protocol.startsWith('http')) outside.push(r.url());
    });
    p.on('response', (r) => {
      if (/\.woff2?$/.test(new URL(r.url()).pathname) && r.ok()) fontFiles.push(new URL(r.url()).pathname);
    });
  };
  watch(page);

  await gotoSteadily(page, '/lessons/initialise-the-swarm');
  // A loaded machine starts clusters slowly: wait for ours before timing anything else.
  // The learner's first action (a click in the terminal) starts the sandbox; a page view takes none.
  await terminalScreen(page, 'manager').click({ force: true });
  await expect(page.locator('[data-sandbox-status="ready"]')).toBeVisible({ timeout: 240_000 });
  await openTerminal(page, 'manager');
  await typeCommand(page, 'manager', `echo ${TEXT}`);
  const screen = terminalScreen(page, 'manager');
  await expect(screen).toContainText(TEXT);
  // The shipped font is loaded, served by us, and the terminal draws with it.
  await expect.poll(() => page.evaluate(() => document.fonts.check("14px 'JetBrains Mono'"))).toBe(true);
  expect(fontFiles.some((f) => f.includes('jetbrains-mono')), `font files fetched: ${fontFiles.join(', ')}`).toBe(true);
  expect(await screen.locator('.xterm-rows').evaluate((el) => getComputedStyle(el).fontFamily)).toContain('JetBrains Mono');

  const underscores = [...TEXT].flatMap((c, i) => (c === '_' ? [i] : []));
  const space = TEXT.indexOf(' ');
  const storageState = await page.context().storageState();
  // Browser zoom Z on a 1280x800 window: device pixel ratio Z and a CSS viewport 1/Z as large.
  // The same session (cookie) in a new page: the same cluster, its terminal replayed.
  for (const zoom of [1, 0.9, 1.25]) {
    const context = zoom === 1 ? null : await browser.newContext({ storageState, colorScheme: 'light', deviceScaleFactor: zoom, viewport: { width: Math.round(1280 / zoom), height: Math.round(800 / zoom) } });
    const p = context ? await context.newPage() : page;
    if (context) {
      watch(p);
      await gotoSteadily(p, '/lessons/initialise-the-swarm');
      await openTerminal(p, 'manager');
      await expect.poll(() => p.evaluate(() => document.fonts.check("14px 'JetBrains Mono'"))).toBe(true);
    }
    expect(await p.evaluate(() => window.devicePixelRatio)).toBeCloseTo(zoom, 5);
    let found!: { row: Box; cells: Box[] };
    await expect
      .poll(async () => {
        found = await cellBoxes(p, '[aria-label="Terminal on manager"] .xterm-rows', TEXT);
        return found.cells.length;
      })
      .toBe(TEXT.length);
    const { row, cells } = found;
    const drawn: number[] = [];
    for (const i of underscores) drawn.push(await inkInLowerHalf(p, cells[i]!));
    const blank = await inkInLowerHalf(p, cells[space]!);
    console.log(`zoom ${zoom * 100} %: row ${row.height.toFixed(2)} CSS px, cell ${cells[0]!.width.toFixed(2)} CSS px; dark pixels per underscore ${drawn.join(', ')}; in the space ${blank}`);
    expect(blank, 'the probe sees no ink in a blank cell').toBe(0);
    for (const [k, ink] of drawn.entries()) expect(ink, `underscore ${k + 1} of ${underscores.length} is drawn at ${zoom * 100} %`).toBeGreaterThan(0);
    if (context) await context.close();
  }

  // Control: the same text in a row that clips below the baseline (as a 16 px row clipped 13.5 px
  // DejaVu Sans Mono's underscore): the probe must report those underscores missing.
  await page.evaluate((text) => {
    const div = document.createElement('div');
    div.id = 'clipped-control';
    div.textContent = text;
    Object.assign(div.style, { position: 'fixed', left: '20px', top: '20px', zIndex: '9999', background: '#fbfcfd', color: '#1b1f24', font: "13.5px 'DejaVu Sans Mono', monospace", lineHeight: '13.5px', height: '11px', overflow: 'hidden', whiteSpace: 'pre', padding: '0' });
    document.body.append(div);
  }, TEXT);
  const control = await cellBoxes(page, '#clipped-control', TEXT);
  expect(control.cells.length).toBe(TEXT.length);
  const clipped: number[] = [];
  for (const i of underscores) clipped.push(await inkInLowerHalf(page, control.cells[i]!));
  console.log(`control (clipped row): ink per underscore ${clipped.join(', ')}`);
  expect(clipped.every((ink) => ink === 0), 'the probe reports clipped underscores as missing').toBe(true);

  expect(outside, 'nothing is fetched from outside').toEqual([]);
});
