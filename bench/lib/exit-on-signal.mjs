// Preloaded (--import) into a profiled server: exit normally on SIGTERM/SIGINT, so that
// --cpu-prof writes its profile (a process killed by a signal writes none).
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
