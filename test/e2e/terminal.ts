/** Reading and typing into the real xterm.js terminal of a workbench tab. */
import { expect, type Page } from '@playwright/test';

export function terminalTab(page: Page, node: string) {
  return page.locator(`[role="tab"][data-node="${node}"]`);
}

/** The visible text of a node's terminal (xterm's DOM rows). */
export function terminalScreen(page: Page, node: string) {
  return page.locator(`[aria-label="Terminal on ${node}"]`);
}

/**
 * Show a node's tab and click into its terminal, as a learner does: that first action starts
 * the learner's sandbox (a page view alone takes no cluster), then the prompt appears.
 */
export async function openTerminal(page: Page, node: string): Promise<void> {
  await terminalTab(page, node).click();
  // force: until the shell is attached a "starting" overlay lies over the terminal, and a learner's click lands on it.
  await terminalScreen(page, node).click({ force: true });
  await expect(terminalScreen(page, node)).toContainText(`root@${node}`, { timeout: 60_000 });
}

/** Type a command with the keyboard, as a learner would, and press Enter. */
export async function typeCommand(page: Page, node: string, command: string): Promise<void> {
  await terminalScreen(page, node).click();
  await page.keyboard.type(command, { delay: 5 });
  await page.keyboard.press('Enter');
}
