/**
 * The maskscope command line: `maskscope run <experiment>` trains the base network, every mask stage and
 * the analyses, with progress bars, checkpoints after each phase (a rerun resumes) and a report
 * (report.json + a self-contained report.html); `maskscope sweep` runs many of them from a sweep file,
 * here or through Redis on `maskscope worker`s. Bad arguments: a one-line error and exit code 2.
 */
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { NonFiniteLossError } from '../masking/train-stage.js';
import { EXPERIMENTS } from '../experiments/registry.js';
import { OutDirError } from '../experiments/run-folder.js';
import { FolderBusyError } from '../experiments/run-lock.js';
import { SettingsMismatchError } from '../experiments/run-settings.js';
import { WeightsFileError } from '../experiments/weights-file.js';
import { SCAN_PARTS, SCAN_SPLITS } from '../data/scan.js';
import { intIn, LIMITS, listOf, numberIn } from './args.js';
import { scanDataCommand } from './data-command.js';
import { Interrupted, signalExitCode } from './interrupt.js';
import { runCommand, UsageError, type RunFlags } from './run-command.js';
import { sweepCommand, sweepReportCommand, sweepStatusCommand, type SweepFlags } from './sweep-command.js';
import { workerCommand, type WorkerFlags } from './worker-command.js';
import { packageVersion } from './version.js';

export function program(argv: readonly string[] = []): Command {
  const cmd = new Command('maskscope')
    .description('Which weights of a trained network implement which function? Differentiable weight masks (Csordás et al., ICLR 2021).')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  const [betaMin, betaMax] = LIMITS.beta;
  cmd
    .command('run')
    .description('run an experiment end to end: base training, mask stages, analyses, report')
    .argument('<experiment>', `one of ${EXPERIMENTS.map((e) => e.name).join(', ')} (aliases: ${EXPERIMENTS.flatMap((e) => e.aliases).join(', ')})`)
    .addOption(new Option('--size <size>', 'small (minutes on a CPU) or paper (the published configuration)').choices(['small', 'paper']).default('small'))
    .option('--seed <n>', 'first seed', intIn('--seed', 0, LIMITS.seed), 1)
    .option('--seeds <n>', 'number of seeds (mean ± std in the report)', intIn('--seeds', 1, LIMITS.seeds), 1)
    .addOption(new Option('--backend <name>', 'auto picks webgpu on a GPU, else cpu').choices(['auto', 'cpu', 'webgpu']).default('auto'))
    .option('--threads', 'cpu backend: share large matrix products with worker threads (faster on an idle multi-core machine, the same results)')
    .option('--out <dir>', 'run folder (default runs/<experiment>-<size>)')
    .option('--beta <x>', 'β, the mask regulariser weight', numberIn('--beta', betaMin, betaMax))
    .option('--steps <n>', 'steps per mask stage', intIn('--steps', 1, LIMITS.steps))
    .option('--base-steps <n>', 'base training steps', intIn('--base-steps', 1, LIMITS.steps))
    .option('--config <json>', 'change other configuration fields, e.g. \'{"hidden":[64,64],"validSize":2000}\'')
    .option('--weights <file>', 'safetensors file with a trained base network (skips base training)')
    .option('--control <name>', 'double-add: copy-weights (both pairs share hidden weights; the LSTM needs --mode only_one_io)')
    .option('--mode <mode>', 'double-add-lstm: together (default) or only_one_io')
    .option('--data-dir <dir>', "scan-lstm, scan-transformer: SCAN's files (tasks_<part>_<split>.txt[.gz]) instead of generated ones; cnn-class-removal, permuted-transfer: the image set's files (IDX; CIFAR-10 binary for the CNN)")
    .option('--scan-dir <dir>', 'the same as --data-dir')
    .option('--new-mask-init <x>', "permuted-transfer: initial mask logit of the weights outside the earlier tasks' masks (2, the default; 0 or -1 prefer the old weights)", numberIn('--new-mask-init', ...LIMITS.maskInit))
    .option('--sweep-beta <list>', 'also run the mask stages for each β in a comma list (e.g. 1e-5,1e-4,1e-3)', listOf('--sweep-beta', numberIn('--sweep-beta', betaMin, betaMax)))
    .option('--sweep-width <list>', 'also train and mask networks of each hidden width (e.g. 128,256,512)', listOf('--sweep-width', intIn('--sweep-width', 1, LIMITS.width)))
    .addOption(new Option('--sweep-child', 'progress to the parent process (maskscope sweep and worker start runs so)').hideHelp())
    .addOption(new Option('--take-over-lock', "take over a run.lock left by another host (maskscope worker resuming a stalled job)").hideHelp())
    .action((name: string, flags: RunFlags) => runCommand(name, flags, argv));
  const sweep = cmd.command('sweep').description('many runs: a grid of settings × seeds from a sweep file, on this machine or on workers through Redis');
  sweep
    .command('run', { isDefault: true })
    .description('run a sweep here (--workers N at a time) or queue it for maskscope worker (--queue); the default subcommand')
    .argument('<file>', 'sweep file (JSON): {"experiment": …, "size": …, "seeds": …, "set": {…}, "grid": {…}}')
    .option('--out <dir>', 'the sweep folder: runs/ and the report (default runs/<sweep file name>)')
    .option('--workers <n>', 'runs at a time on this machine (default 1)', intIn('--workers', 1, LIMITS.workers))
    .addOption(new Option('--backend <name>', 'for the runs on this machine: auto (the default) picks webgpu on a GPU, else cpu').choices(['auto', 'cpu', 'webgpu']))
    .option('--queue <url>', 'queue the runs in Redis for maskscope worker (redis://[:password@]host:port[/db], rediss:// for TLS)')
    .option('--wait', 'with --queue: show progress until every run has finished, then write the report')
    .action((file: string, flags: SweepFlags) => sweepCommand(file, flags, argv));
  sweep
    .command('status')
    .description("the sweep's runs in the queue: done, running, waiting, failed")
    .argument('<file>', 'sweep file')
    .requiredOption('--queue <url>', 'the Redis URL the sweep was queued at')
    .action((file: string, flags: { queue: string }) => sweepStatusCommand(file, flags));
  sweep
    .command('report')
    .description("write the sweep's report over the runs finished so far: DIR/report.json and report.html")
    .argument('<file>', 'sweep file')
    .option('--out <dir>', 'the sweep folder (default runs/<sweep file name>)')
    .option('--queue <url>', 'take the results from the queue (else from DIR/runs/)')
    .action((file: string, flags: { queue?: string; out?: string }) => sweepReportCommand(file, flags));
  cmd
    .command('worker')
    .description("take runs from the sweeps' queue and run them, until Ctrl-C")
    .requiredOption('--queue <url>', 'Redis URL (redis://[:password@]host:port[/db], rediss:// for TLS)')
    .addOption(new Option('--backend <name>', 'auto picks webgpu on a GPU, else cpu').choices(['auto', 'cpu', 'webgpu']).default('auto'))
    .option('--concurrency <n>', 'runs at a time', intIn('--concurrency', 1, LIMITS.workers), 1)
    .option('--store <dir>', 'where the run folders go, one per run (a shared mount lets another worker resume a run)', join('runs', 'worker-store'))
    .option('--lock-seconds <s>', "a dead worker's run goes to another worker after about this long", intIn('--lock-seconds', 1, 3600), 30)
    .action((flags: WorkerFlags) => workerCommand(flags));
  cmd
    .command('data')
    .description('print a data set')
    .command('scan')
    .description('one part of a SCAN split, generated from its grammar, in the official "IN: … OUT: …" format')
    .addOption(new Option('--split <split>', 'which split').choices([...SCAN_SPLITS]).makeOptionMandatory())
    .addOption(new Option('--part <part>', 'train or test').choices([...SCAN_PARTS]).makeOptionMandatory())
    .option('--seed <n>', 'seed of the simple split’s random 80/20 draw', intIn('--seed', 0, LIMITS.seed), 0)
    .action(async (flags: { split: string; part: string; seed: number }) => {
      process.stdout.write(await scanDataCommand(flags.split, flags.part, flags.seed));
    });
  cmd.command('list').description('list the experiments').action(() => {
    const width = Math.max(...EXPERIMENTS.map((e) => e.name.length));
    for (const e of EXPERIMENTS) process.stdout.write(`${e.name.padEnd(width)}  ${e.description}\n`);
  });
  return cmd;
}

/** Errors that mean "this command cannot run as given": one line, exit code 2. */
const USAGE_ERRORS = [UsageError, OutDirError, WeightsFileError, SettingsMismatchError, FolderBusyError];

/**
 * Runs the command line; returns the exit code: 0 done, 1 a failure while running, 2 bad arguments (or a
 * run folder that cannot be used as given), 130 / 143 stopped by SIGINT / SIGTERM.
 */
export async function main(argv: string[]): Promise<number> {
  try {
    await program(argv).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      // A command that needs a subcommand (`maskscope data`): commander printed its usage.
      const message = e.code === 'commander.help' ? 'a subcommand is missing (see the usage above)' : e.message.replace(/^error: /, '');
      process.stderr.write(`maskscope: ${message}\n`);
      return 2;
    }
    if (e instanceof Interrupted) return signalExitCode(e.signal);
    const message = (e as Error).message;
    process.stderr.write(`maskscope: ${e instanceof NonFiniteLossError ? `training stopped: ${message}` : message}\n`);
    return USAGE_ERRORS.some((k) => e instanceof k) ? 2 : 1;
  }
}
