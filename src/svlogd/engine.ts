// What PID 1 loads at a logger's first hand-off (supervise/logger-handoff.ts):
// the svlogd engine and the parser of its arguments, in one module, so that
// the build splits them into one part of their own (scripts/build.sh), which a
// boot whose services hand over no logger never reads.
export { parseSvlogdArguments } from './arguments.ts';
export { Logger } from './logger.ts';
