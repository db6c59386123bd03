// fc-container with asyncContext: true, to measure what AsyncLocalStorage costs per request.
process.env.BENCH_ASYNC_CONTEXT = '1';
await import('./fc-container.mjs');
