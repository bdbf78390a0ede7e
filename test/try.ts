import { runInit } from './system/harness.ts';
const r = await runInit({ args: ['--verbose', '--', 'sh', '-c', `trap "echo got it" USR1; echo ready; sleep 0.5; echo done`], during: async (i) => { await i.waitForOutput(/ready/); await new Promise(r => setTimeout(r, 50)); await i.signal('SIGUSR1'); } });
console.log(r.exitCode, r.all);
