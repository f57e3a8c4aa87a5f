import { ApplicationFailure } from '@temporalio/common';
import {
  alertUpdateBody,
  indicatorBody,
  indicatorExpiry,
  normalizeActionStatus,
} from '../../../integrations/defender/actions';
import {
  apiErrorFromResponse,
  DefenderAuthError,
  DefenderNetworkError,
  parseRetryAfter,
  toDefenderFailure,
} from '../../../integrations/defender/errors';
import type { DefenderSubmitRequest } from '../../../core/effects';

const M = '1e5bc9d7e413ddd7902c2932e418702b84d0cc07';
function err(status: number, body: unknown, headers: Record<string, string> = {}) {
  return apiErrorFromResponse(
    status,
    typeof body === 'string' ? body : JSON.stringify(body),
    headers,
    'POST',
    `/api/machines/${M}/isolate`,
  );
}

describe('error mapping', () => {
  it('404 → non-retryable DefenderNotFound with the API message', () => {
    const f = toDefenderFailure(
      err(404, {
        error: { code: 'ResourceNotFound', message: `Machine ${M} was not found`, target: '|3xxxxx' },
      }),
      `machine ${M}`,
      'isolate',
    );
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f).toMatchObject({ type: 'DefenderNotFound', nonRetryable: true });
    expect(f.message).toBe(
      `Defender: machine ${M} not found (404 ResourceNotFound: Machine ${M} was not found)`,
    );
  });

  it.each([
    [400, 'InvalidRequestBody', 'DefenderBadRequest'],
    [401, 'Unauthorized', 'DefenderUnauthorized'],
    [403, 'Forbidden', 'DefenderForbidden'],
    [405, 'Http405', 'DefenderClientError'],
  ])('%d %s → non-retryable %s', (status, code, type) => {
    const f = toDefenderFailure(
      err(status, status === 405 ? '' : { error: { code, message: 'm' } }),
      'x',
      'isolate',
    );
    expect(f).toMatchObject({ type, nonRetryable: true });
    expect(f.message).toContain(`${status} ${code}`);
  });

  it('429 → retryable after Retry-After, BENIGN', () => {
    const f = toDefenderFailure(
      err(
        429,
        { error: { code: 'TooManyRequests', message: 'Rate limit is exceeded' } },
        { 'retry-after': '7' },
      ),
      'x',
      'isolate',
    );
    expect(f).toMatchObject({
      type: 'DefenderThrottled',
      nonRetryable: false,
      nextRetryDelay: 7000,
      category: 'BENIGN',
    });
    const noHeader = toDefenderFailure(err(429, ''), 'x', 'isolate');
    expect(noHeader.nextRetryDelay).toBe(60_000);
  });

  it('5xx, network and transient auth errors are retryable; a rejected credential is not', () => {
    expect(toDefenderFailure(err(503, 'Service Unavailable'), 'x', 'a')).toMatchObject({
      type: 'DefenderServerError',
      nonRetryable: false,
    });
    expect(
      toDefenderFailure(err(500, { error: { code: 'InternalServerError', message: 'boom' } }), 'x', 'a')
        .message,
    ).toContain('500 InternalServerError: boom');
    expect(toDefenderFailure(new DefenderNetworkError('ECONNRESET: socket hang up'), 'x', 'a')).toMatchObject(
      { type: 'DefenderNetworkError', nonRetryable: false },
    );
    expect(
      toDefenderFailure(new DefenderAuthError('token request failed', true), 'x', 'a').nonRetryable,
    ).toBe(false);
    expect(toDefenderFailure(new DefenderAuthError('invalid_client', false), 'x', 'a')).toMatchObject({
      type: 'DefenderAuthFailed',
      nonRetryable: true,
    });
  });

  it('recognizes both documented duplicate answers', () => {
    expect(
      err(400, { error: { code: 'ActiveRequestAlreadyExists', message: 'Action is already in progress' } })
        .isDuplicateAction,
    ).toBe(true);
    expect(
      err(400, { error: { code: 'BadRequest', message: 'Action is already in progress' } }).isDuplicateAction,
    ).toBe(true);
    expect(
      err(400, { error: { code: 'InvalidRequestBody', message: 'Request body is incorrect' } })
        .isDuplicateAction,
    ).toBe(false);
  });

  it('clips huge or non-JSON bodies', () => {
    const e = err(502, '<html>' + 'x'.repeat(5000));
    expect(e.apiMessage.length).toBeLessThan(510);
    expect(e.code).toBe('Http502');
  });

  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString(), Date.now())).toBeGreaterThan(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('step parameters', () => {
  const req = (params: Record<string, string>): DefenderSubmitRequest => ({
    key: 'k',
    run: { workflowId: 'w', playbook: 'p', playbookVersion: 1, stepId: 's', detectionId: 'd' },
    action: 'block_indicator',
    params,
  });
  it('builds indicator bodies and refuses bad values', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(indicatorBody(req({ type: 'ip', value: '10.1.2.3', action: 'alert' }), now)).toMatchObject({
      indicatorType: 'IpAddress',
      action: 'Audit',
      generateAlert: true,
    });
    expect(indicatorBody(req({ type: 'sha1', value: 'A'.repeat(40) }), now)).toMatchObject({
      indicatorValue: 'a'.repeat(40),
      action: 'Block',
    });
    expect(() => indicatorBody(req({ type: 'sha256', value: 'abc' }), now)).toThrow('not a valid sha256');
    expect(() => indicatorBody(req({ type: 'cidr', value: 'x' }), now)).toThrow('type must be one of');
    expect(indicatorExpiry('30d', now)).toBe('2026-01-31T00:00:00.000Z');
    expect(indicatorExpiry('2030-01-01T00:00:00Z', now)).toBe('2030-01-01T00:00:00.000Z');
    expect(() => indicatorExpiry('tomorrow', now)).toThrow('expires must be');
  });
  it('builds alert PATCH bodies in the documented camelCase', () => {
    expect(
      alertUpdateBody(
        { status: 'in_progress', classification: 'false_positive', determination: 'not_malicious' },
        'c',
      ),
    ).toEqual({
      status: 'InProgress',
      classification: 'FalsePositive',
      determination: 'NotMalicious',
      comment: 'c',
    });
    expect(() => alertUpdateBody({ status: 'closed' }, undefined)).toThrow('status must be one of');
    expect(() => alertUpdateBody({}, undefined)).toThrow('needs at least one');
  });
  it('normalizes action states, including the old Canceled spelling', () => {
    expect(normalizeActionStatus('Canceled')).toBe('Cancelled');
    expect(normalizeActionStatus('TimeOut')).toBe('TimeOut');
    expect(normalizeActionStatus('Weird')).toBeUndefined();
  });
});
