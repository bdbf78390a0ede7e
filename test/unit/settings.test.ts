// The variables my_init reads from its own environment (src/settings.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSeconds, readSettings, type Settings } from '../../src/settings.ts';

function accepted(raw: string | undefined): number {
  const result = parseSeconds('KILL_PROCESS_TIMEOUT', raw);
  if (result instanceof Error) assert.fail(`${JSON.stringify(raw)} was refused: ${result.message}`);
  return result;
}

function refused(name: string, raw: string): Error {
  const result = parseSeconds(name, raw);
  assert.ok(result instanceof Error, `${JSON.stringify(raw)} was accepted as ${String(result)}`);
  return result;
}

function settings(env: NodeJS.ProcessEnv): Settings {
  const result = readSettings(env);
  if (result instanceof Error) assert.fail(`refused: ${result.message}`);
  return result;
}

describe('parseSeconds', () => {
  test('accepts Python int() syntax and decimal fractions', () => {
    assert.equal(accepted('30'), 30);
    assert.equal(accepted(' 7 '), 7);
    assert.equal(accepted('\t7\n'), 7);
    assert.equal(accepted('+5'), 5);
    assert.equal(accepted('1_0'), 10);
    assert.equal(accepted('1_000_000'), 1000000);
    assert.equal(accepted('2.5'), 2.5);
    assert.equal(accepted('.5'), 0.5);
    assert.equal(accepted('5.'), 5);
    assert.equal(accepted('0'), 0);
    assert.equal(accepted('007'), 7);
  });

  test('undefined means the default, 30', () => {
    assert.equal(accepted(undefined), 30);
  });

  test('refuses anything else, naming the variable and quoting the value', () => {
    for (const raw of ['abc', '-1', '', '   ', '1__0', '_1', '1_', '1e3', '0x10', '1 0', 'Infinity', 'NaN', '.', '+', '-0', '1.2.3', '1,5']) {
      const error = refused('KILL_PROCESS_TIMEOUT', raw);
      assert.ok(error.message.includes('KILL_PROCESS_TIMEOUT'), `message for ${JSON.stringify(raw)}: ${error.message}`);
      assert.ok(error.message.includes(JSON.stringify(raw)), `message for ${JSON.stringify(raw)}: ${error.message}`);
    }
  });

  test('the message names whichever variable it was given', () => {
    const error = refused('SOME_OTHER_NAME', 'abc');
    assert.match(error.message, /SOME_OTHER_NAME/);
    assert.match(error.message, /"abc"/);
    assert.doesNotMatch(error.message, /KILL_PROCESS_TIMEOUT/);
  });

  test('quotes the raw value, not the trimmed one', () => {
    assert.match(refused('X', ' -1 ').message, /" -1 "/);
  });
});

describe('readSettings', () => {
  test('defaults', () => {
    assert.deepEqual(settings({}), {
      killProcessTimeout: 30,
      killAllProcessesTimeout: 30,
      envInitDirectory: '/etc/my_init.d',
      serviceRestartDelay: 1,
      serviceRestartDelayMax: 30,
      servicesReadyTimeout: null,
      serviceDependencyTimeout: 60,
    });
  });

  test('reads each variable into its own field', () => {
    assert.deepEqual(
      settings({
        KILL_PROCESS_TIMEOUT: '5', KILL_ALL_PROCESSES_TIMEOUT: ' 2.5 ', ENV_INIT_DIRECTORY: '/custom/init.d',
        SERVICE_RESTART_DELAY: '0.1', SERVICE_RESTART_DELAY_MAX: '4', SERVICES_READY_TIMEOUT: '9',
        SERVICE_DEPENDENCY_TIMEOUT: '0.5',
      }),
      {
        killProcessTimeout: 5, killAllProcessesTimeout: 2.5, envInitDirectory: '/custom/init.d',
        serviceRestartDelay: 0.1, serviceRestartDelayMax: 4, servicesReadyTimeout: 9,
        serviceDependencyTimeout: 0.5,
      },
    );
  });

  test('ENV_INIT_DIRECTORY overrides the default', () => {
    assert.equal(settings({ ENV_INIT_DIRECTORY: '/tmp/x' }).envInitDirectory, '/tmp/x');
  });

  test('an empty ENV_INIT_DIRECTORY is an error', () => {
    const result = readSettings({ ENV_INIT_DIRECTORY: '' });
    assert.ok(result instanceof Error);
    assert.match(result.message, /ENV_INIT_DIRECTORY/);
  });

  test('a bad SERVICE_DEPENDENCY_TIMEOUT is an error naming it', () => {
    const result = readSettings({ SERVICE_DEPENDENCY_TIMEOUT: '1m' });
    assert.ok(result instanceof Error);
    assert.equal(result.message, 'SERVICE_DEPENDENCY_TIMEOUT must be a number of seconds, 0 or more; got "1m"');
  });

  test('a bad KILL_ALL_PROCESSES_TIMEOUT is an error naming it', () => {
    const result = readSettings({ KILL_ALL_PROCESSES_TIMEOUT: 'soon' });
    assert.ok(result instanceof Error);
    assert.match(result.message, /KILL_ALL_PROCESSES_TIMEOUT/);
    assert.match(result.message, /"soon"/);
  });

  test('a bad KILL_PROCESS_TIMEOUT is an error naming it', () => {
    const result = readSettings({ KILL_PROCESS_TIMEOUT: '-3', KILL_ALL_PROCESSES_TIMEOUT: '1' });
    assert.ok(result instanceof Error);
    assert.match(result.message, /KILL_PROCESS_TIMEOUT/);
    assert.doesNotMatch(result.message, /KILL_ALL_PROCESSES_TIMEOUT/);
    assert.match(result.message, /"-3"/);
  });
});
