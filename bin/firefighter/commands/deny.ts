// firefighter deny ID: an approver refuses a pending read-write request.
import { decideCommand } from './approve.js';

export const deny = decideCommand('deny', 'deny a pending read-write request (approvers)');
