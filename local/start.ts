/**
 * `npm start`: the whole system on this machine (contract §6). Prints `READY {json}` when ready,
 * writes the same JSON to <ENCRATA_DATA_DIR>/stack.json, and shuts down cleanly on SIGINT/SIGTERM.
 */
import { LocalConfigError, parseLocalConfig } from './config.ts';
import { startLocalStack } from './stack.ts';

async function main(): Promise<void> {
  const cfg = parseLocalConfig(process.env);
  const stack = await startLocalStack(cfg, (line) => console.error(line));
  console.log(`READY ${JSON.stringify(stack.info)}`);
  console.error(
    [
      '',
      `  Encrata webhooks is running.`,
      `  Dashboard:  ${stack.info.dashboard_url}`,
      `  API:        ${stack.info.api_url}/api`,
      `  API key:    ${stack.info.api_key}  (workspace ${stack.info.workspace_id})`,
      `  Data:       ${cfg.dataDir}`,
      '',
      `  Another terminal finds this stack with:  eval "$(ENCRATA_DATA_DIR='${cfg.dataDir}' npm run -s stack:env)"`,
      `  Or watch a delivery end to end:          ENCRATA_DATA_DIR='${cfg.dataDir}' npm run demo`,
      '',
    ].join('\n'),
  );
  let signals = 0;
  const shutdown = (signal: string) => {
    signals++;
    if (signals > 1) process.exit(130);
    console.error(`${signal} received; stopping (in-flight batches finish first)`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof LocalConfigError) {
    console.error(error.message);
  } else {
    console.error(`The local stack could not start: ${(error as Error).message ?? String(error)}`);
  }
  process.exit(1);
});
