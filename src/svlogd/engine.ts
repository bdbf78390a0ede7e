// The svlogd engine as a supervisor takes it for a handed-over logger
// (src/supervise/log-engine.ts): one part of the executable of its own, read
// at the first hand-off.
export { parseSvlogdArguments } from './arguments.ts';
export { Logger } from './logger.ts';
