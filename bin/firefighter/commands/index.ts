// The table from subcommand name to command: `firefighter NAME ...` runs COMMANDS[NAME]; each lives in its own file.
import { approve } from './approve.js';
import type { Command } from './command.js';
import { deny } from './deny.js';
import { extend } from './extend.js';
import { history } from './history.js';
import { request } from './request.js';
import { requests } from './requests.js';
import { revoke } from './revoke.js';
import { status } from './status.js';
import { sweep } from './sweep.js';

export const COMMANDS: Readonly<Record<string, Command>> = Object.fromEntries(
  [request, requests, revoke, status, extend, approve, deny, history, sweep].map((c) => [c.name, c]),
);
