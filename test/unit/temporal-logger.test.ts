// The Temporal SDK's and the embedded server's lines, as they enter the JSON log stream.
import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { createLogger } from '../../platform/logger';
import { temporalLogger, temporalServerLines } from '../../platform/temporal/logger';

function capture(level = 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, log: createLogger(level, { destination }) };
}

describe('temporalLogger', () => {
  it('logs an activity failure as one line: no task token, the error reduced to type and message', () => {
    const { lines, log } = capture();
    const failure = ApplicationFailure.create({
      message: 'Slack said 500\nwith a long body',
      type: 'SlackError',
    });
    temporalLogger(log).warn('Activity failed', {
      sdkComponent: 'activity',
      taskToken: 'CiQ3ZWY2-secret-task-token',
      activityType: 'notify',
      workflowId: 'nightshift/x',
      attempt: 2,
      error: failure,
    });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        component: 'temporal-sdk',
        sdk: 'activity',
        msg: 'Activity failed',
        activityType: 'notify',
        attempt: 2,
        error: { type: 'ApplicationFailure', message: 'Slack said 500', failure: 'SlackError' },
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('task-token');
  });

  it('keeps a short stack for an unexpected error', () => {
    const { lines, log } = capture();
    temporalLogger(log).error('Worker failed', { error: new TypeError('x is undefined') });
    expect(lines[0].error).toMatchObject({ type: 'TypeError', message: 'x is undefined' });
    expect((lines[0].error as { stack: string[] }).stack.length).toBeGreaterThan(0);
  });

  it('does not warn that the Defender queue has no workflows (by design)', () => {
    const { lines, log } = capture('info');
    temporalLogger(log).warn('No workflows registered, not polling for workflow tasks', {});
    expect(lines).toEqual([]);
  });

  it('can log the bundler report at debug', () => {
    const { lines, log } = capture('info');
    temporalLogger(log, { infoAsDebug: true }).info('Workflow bundle created', { size: '3.2MB' });
    expect(lines).toEqual([]);
  });
});

describe('temporalServerLines', () => {
  it('keeps the level, message and fields of the server JSON lines; plain text is debug', () => {
    const { lines, log } = capture();
    const s = temporalServerLines(log);
    s.line(
      '{"time":"2026-12-01T13:59:14Z","level":"WARN","msg":"Failed to poll for task.","service":"worker"}',
      'stderr',
    );
    s.line('Server:  localhost:7233', 'stdout');
    s.line('panic: something', 'stderr');
    s.quiet();
    s.line('{"level":"ERROR","msg":"shutting down"}', 'stderr');
    expect(lines.map((l) => [l.level, l.component, l.msg, l.service])).toEqual([
      [40, 'temporal-server', 'Failed to poll for task.', 'worker'],
      [20, 'temporal-server', 'Server:  localhost:7233', undefined],
      [40, 'temporal-server', 'panic: something', undefined],
      [20, 'temporal-server', 'shutting down', undefined],
    ]);
  });
});
