// The office's pages (巡察办): rounds, units, problems, referrals, rectification. Each concern is a
// module of web/pages/office/; app.js reads `pages` from here.
import { pages as rounds } from './office/rounds.js';
import { pages as units } from './office/units.js';
import { pages as problems } from './office/problems.js';
import { pages as referrals } from './office/referrals.js';
import { pages as items } from './office/items.js';

export const pages = [...rounds, ...units, ...problems, ...referrals, ...items];
