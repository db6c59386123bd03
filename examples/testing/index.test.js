'use strict';
// The function's tests, run by `npm test` (Jest) without deploying: fc-container/testing drives the
// server fc-container builds, with FC's headers, limits, Initializer and timeout.
const { createTestClient } = require('fc-container/testing');
const handlers = require('./index.js');

let fc;
beforeEach(() => {
  fc = createTestClient(handlers, { function: { name: 'orders', timeout: 3 }, credentials: { accessKeyId: 'AK', accessKeySecret: 'secret-value-1234', securityToken: 'token-value-5678' } });
});
afterEach(() => fc.close());

test('an order is priced after the Initializer loaded the prices, with its own log lines', async () => {
  const r = await fc.invoke({ id: 7, items: ['tea', 'cake'] });
  expect(r.status).toBe(200);
  expect(r.json()).toEqual({ id: 7, total: 8 });
  expect(r.logs).toContain('order 7: 2 items, total 8');
  expect(r.logs[0]).toMatch(/^FC Initialize Start RequestId: /);
  expect(r.logs.at(-1)).toBe(`FC Invoke End RequestId: ${r.requestId}`);
});

test('an unknown item fails the invocation as FC reports it', async () => {
  const r = await fc.invoke({ id: 8, items: ['coffee'] });
  expect(r.status).toBe(404);
  expect(r.errorType).toBe('UnhandledInvocationError');
  expect(r.error).toMatchObject({ errorType: 'RangeError', errorMessage: 'no price for coffee' });
});

test('the HTTP function lists the prices', async () => {
  const r = await fc.http('/api/prices');
  expect(r.json()).toEqual({ tea: 3, cake: 5 });
});

test('a slow order runs into the function timeout (fractional seconds), even with fake timers installed', async () => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
  try {
    await fc.close();
    fc = createTestClient(handlers, { function: { timeout: 0.05 } });
    const r = await fc.invoke({ id: 9, items: ['tea'], slow: true });
    expect(r.status).toBe(404);
    expect(r.error.errorMessage).toMatch(/timed out/);
  } finally {
    jest.useRealTimers();
  }
});

test('fake timers that replace process.nextTick are refused at once, with the fix', async () => {
  jest.useFakeTimers();
  try {
    await expect(fc.invoke({ id: 10, items: ['tea'] })).rejects.toThrow(/process\.nextTick is faked.*doNotFake/);
  } finally {
    jest.useRealTimers();
  }
});
