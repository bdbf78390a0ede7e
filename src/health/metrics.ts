// The status endpoint's /metrics: Prometheus's text exposition format
// (version 0.0.4), one family per fact, a `service` label per service.
import type { ServiceReport } from './report.ts';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  value: (service: ServiceReport) => number;
}

const FAMILIES: readonly Family[] = [
  { name: 'my_init_service_up', type: 'gauge', help: 'Whether the service\'s ./run is running (1) or not (0).', value: (s) => (s.state === 'run' ? 1 : 0) },
  { name: 'my_init_service_wanted_up', type: 'gauge', help: 'Whether the service is wanted up (1) or down (0).', value: (s) => (s.want === 'up' ? 1 : 0) },
  { name: 'my_init_service_ready', type: 'gauge', help: 'Whether the service is running and ready (1) or not (0).', value: (s) => (s.ready ? 1 : 0) },
  { name: 'my_init_service_uptime_seconds', type: 'gauge', help: 'Seconds since ./run started, 0 when it does not run.', value: (s) => s.uptimeSeconds },
  { name: 'my_init_service_restarts_total', type: 'counter', help: 'Starts of ./run after the first.', value: (s) => s.restarts },
  { name: 'my_init_service_failures_total', type: 'counter', help: 'Exits of ./run that nobody asked for, other than with 0.', value: (s) => s.failures },
];

/** Label values escape backslash, double quote and newline, as the format says. */
function labelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderMetrics(services: readonly ServiceReport[], orphansReaped: number): string {
  const lines: string[] = [];
  for (const family of FAMILIES) {
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
    for (const service of services) lines.push(`${family.name}{service="${labelValue(service.name)}"} ${family.value(service)}`);
  }
  lines.push(
    '# HELP my_init_orphans_reaped_total Orphaned processes my_init has reaped.',
    '# TYPE my_init_orphans_reaped_total counter',
    `my_init_orphans_reaped_total ${orphansReaped}`,
  );
  return `${lines.join('\n')}\n`;
}
