// The scenarios `npm run sim` knows, by name. A new scenario is one file in this folder and one
// line here.
import type { Scenario } from '../scenario.js';
import { dledgerScenario } from './dledger.js';
import { echoScenario } from './echo.js';
import { haScenario } from './ha.js';
import { raftScenario } from './raft.js';
import { raftFigure8Scenario } from './raft-figure8.js';

export const SCENARIOS: readonly Scenario[] = [
  haScenario('ha'),
  haScenario('ha-bug-gate-ok-early', { bugGateOkEarly: true }),
  haScenario('ha-bug-rejoin-lies', { bugRejoinLies: true }),
  raftScenario('raft', { mode: 'chaos' }),
  raftScenario('raft-bug-any-term-commit', { mode: 'chaos', currentTermCommitRule: false }),
  raftScenario('raft-rejoin', { mode: 'rejoin' }),
  raftFigure8Scenario('raft-figure8', true),
  raftFigure8Scenario('raft-bug-figure8', false),
  raftScenario('raft-bug-no-prevote', { mode: 'rejoin', preVote: false }),
  dledgerScenario('dledger'),
  dledgerScenario('dledger-3', { members: 3 }),
  dledgerScenario('dledger-5', { members: 5 }),
  dledgerScenario('dledger-bug-async-power-cut', { asyncPowerCuts: true }),
  echoScenario('echo', 'none'),
  echoScenario('echo-bug-drop-byte', 'drop-byte-after-reconnect'),
];

export const DEFAULT_SCENARIO = 'ha';

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
