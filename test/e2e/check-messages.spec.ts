/**
 * A check's message is an action (issue 13): the wrong turn of lesson 5, `app` created as a plain
 * bridge network, gets a message whose Run button removes the network; the lesson's own command
 * then turns the exercise green, and its hints fold away. The same cluster then shows the status
 * line naming the image its nodes pull for a new service.
 */
import { expect, test } from '@playwright/test';
import { openTerminal, terminalScreen, typeCommand } from './terminal.ts';
import { gotoSteadily } from './navigation.ts';

test('the bridge-network wrong turn: the message Run removes `app`, the lesson command turns it green', async ({ page }) => {
  test.setTimeout(420_000);
  await gotoSteadily(page, '/lessons/overlay-network');
  // A loaded machine starts clusters slowly: wait for ours before timing anything else.
  // The learner's first action (a click in the terminal) starts the sandbox; a page view takes none.
  await terminalScreen(page, 'manager').click({ force: true });
  await expect(page.locator('[data-sandbox-status="ready"]')).toBeVisible({ timeout: 240_000 });
  await openTerminal(page, 'manager');
  const screen = terminalScreen(page, 'manager');
  await typeCommand(page, 'manager', 'docker swarm init');
  await expect(screen).toContainText('Swarm initialized', { timeout: 60_000 });

  const exercise = page.locator('[data-exercise-id="overlay-network"]');
  await exercise.getByRole('button', { name: /Show a hint/ }).click();
  await expect(exercise.getByRole('list', { name: 'Hints' })).toBeVisible();

  // The wrong turn: a bridge network called app.
  await typeCommand(page, 'manager', 'docker network create app');
  const message = exercise.locator('[data-exercise-message]');
  await expect(message).toContainText('uses driver bridge', { timeout: 30_000 });
  await expect(exercise).not.toHaveAttribute('data-state', 'passed');
  // Backticked spans are code, not literal backticks.
  await expect(message.locator('code', { hasText: /^app$/ }).first()).toBeVisible();
  await expect(message).not.toContainText('`');
  const recovery = message.locator('[data-run-node="manager"]').filter({ has: page.locator('code', { hasText: /^docker network rm app$/ }) });
  await expect(recovery).toBeVisible();
  await recovery.getByRole('button', { name: /Run/ }).click();
  await expect(message).toContainText('there is no network', { timeout: 30_000 });

  // The lesson's command now works and turns the exercise green by itself.
  const lessonCommand = page.locator('[data-command-node="manager"]').filter({ has: page.locator('code', { hasText: /^docker network create --driver=overlay app$/ }) }).first();
  await lessonCommand.getByRole('button', { name: /^Run/ }).click();
  await expect(exercise).toHaveAttribute('data-state', 'passed', { timeout: 30_000 });
  await expect(screen).not.toContainText('already exists');
  // Done: no message, no more hint buttons, the hints folded away (still there to reopen).
  await expect(message).toHaveCount(0);
  await expect(exercise.getByRole('button', { name: /hint/ })).toHaveCount(0);
  await expect(exercise.getByRole('list', { name: 'Hints' })).toBeHidden();
  await exercise.locator('summary', { hasText: 'Hints' }).click();
  await expect(exercise.getByRole('list', { name: 'Hints' })).toBeVisible();

  // Pulls are named in the status line while the nodes pull (the image is not on the node yet).
  await typeCommand(page, 'manager', 'docker service create --detach --name pull-probe --endpoint-mode dnsrr flask_app:3.0');
  const status = page.locator('[data-sandbox-status]');
  await expect(status).toContainText(/pulling flask_app:3\.0 on manager/, { timeout: 30_000 });
  await expect(status).toHaveAttribute('data-pulling', '');
  await expect(status).not.toContainText('pulling', { timeout: 120_000 });
});
