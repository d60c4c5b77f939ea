// The scenarios `npm run sim` knows, by name. A new scenario (the classic HA one, once the HA code
// runs on the simulated network) is one file in this folder and one line here.
import type { Scenario } from '../scenario.js';
import { echoScenario } from './echo.js';

export const SCENARIOS: readonly Scenario[] = [
  echoScenario('echo', 'none'),
  echoScenario('echo-bug-drop-byte', 'drop-byte-after-reconnect'),
];

export const DEFAULT_SCENARIO = 'echo';

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
