import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { failureLine, findSparkSubmit, isLocalMaster, jobArguments, readSummary, submitArguments, submitEnvironment, SUMMARY_PREFIX } from '../../../src/batch/engines/spark-submit.js';
import { isMlfError } from '../../../src/errors.js';
import { tempDir } from '../../support/temp.js';

function fakeSparkHome(): string {
  const home = tempDir('mlf-spark-home-');
  mkdirSync(path.join(home, 'bin'));
  writeFileSync(path.join(home, 'bin', 'spark-submit'), '#!/bin/sh\n');
  chmodSync(path.join(home, 'bin', 'spark-submit'), 0o755);
  return home;
}

function thrown(action: () => unknown) {
  try {
    action();
  } catch (error) {
    if (isMlfError(error)) return { exitCode: error.exitCode, message: error.message };
    throw error;
  }
  throw new Error('did not throw');
}

describe('findSparkSubmit', () => {
  it('takes SPARK_HOME/bin/spark-submit first, then spark-submit on PATH', () => {
    const home = fakeSparkHome();
    const onPath = fakeSparkHome();
    expect(findSparkSubmit({ SPARK_HOME: home, PATH: path.join(onPath, 'bin') })).toBe(path.join(home, 'bin', 'spark-submit'));
    expect(findSparkSubmit({ PATH: `/nonexistent${path.delimiter}${path.join(onPath, 'bin')}` })).toBe(path.join(onPath, 'bin', 'spark-submit'));
  });

  it('is exit 2 naming SPARK_HOME when it has no spark-submit, and when there is none at all', () => {
    const empty = tempDir('mlf-no-spark-');
    expect(thrown(() => findSparkSubmit({ SPARK_HOME: empty, PATH: '' }))).toEqual({ exitCode: 2, message: `SPARK_HOME is \`${empty}\`, which has no bin/spark-submit` });
    expect(thrown(() => findSparkSubmit({ PATH: empty }))).toMatchObject({ exitCode: 2, message: expect.stringMatching(/needs spark-submit: SPARK_HOME is not set and no spark-submit is on PATH/) });
  });

  it('skips a spark-submit on PATH that cannot be run', () => {
    const home = fakeSparkHome();
    chmodSync(path.join(home, 'bin', 'spark-submit'), 0o644);
    expect(thrown(() => findSparkSubmit({ PATH: path.join(home, 'bin') })).exitCode).toBe(2);
  });
});

describe('submitArguments', () => {
  const plan = {
    master: 'spark://127.0.0.1:7077', appName: 'mlf batch-predict m', driverPython: '/cache/env/bin/python', workerDir: '/mlf/src/worker',
    jobScript: '/mlf/src/worker/mlf_spark_job.py', jobArgs: ['--input', '/in.parquet'],
  };

  it('ships the environment and the model to a cluster, the executors running the archive\'s Python with the worker on PYTHONPATH', () => {
    const shipped = { ...plan, shipped: { envArchive: '/w/env.tar.gz', modelArchive: '/w/model.tar.gz', workerInArchive: 'mlf-worker' } };
    expect(submitArguments(shipped)).toEqual([
      '--master', 'spark://127.0.0.1:7077', '--deploy-mode', 'client', '--name', 'mlf batch-predict m',
      '--archives', '/w/env.tar.gz#mlfenv,/w/model.tar.gz#mlfmodel',
      '--conf', 'spark.pyspark.python=./mlfenv/bin/python',
      '--conf', 'spark.pyspark.driver.python=/cache/env/bin/python',
      '--conf', 'spark.executorEnv.PYTHONPATH=./mlfenv/mlf-worker',
      '/mlf/src/worker/mlf_spark_job.py', '--input', '/in.parquet',
    ]);
    expect(submitEnvironment(shipped, { PATH: '/bin' })).toEqual({ PATH: '/bin' });
  });

  it('ships nothing to a local master, whose executors run the cached Python with the worker first on PYTHONPATH', () => {
    const local = { ...plan, master: 'local[2]' };
    expect(submitArguments(local)).toEqual([
      '--master', 'local[2]', '--deploy-mode', 'client', '--name', 'mlf batch-predict m',
      '--conf', 'spark.pyspark.python=/cache/env/bin/python', '--conf', 'spark.pyspark.driver.python=/cache/env/bin/python',
      '/mlf/src/worker/mlf_spark_job.py', '--input', '/in.parquet',
    ]);
    expect(submitEnvironment(local, { PYTHONPATH: '/mine' })).toEqual({ PYTHONPATH: `/mlf/src/worker${path.delimiter}/mine` });
  });

  it.each([['local', true], ['local[*]', true], ['local[4,2]', true], ['local-cluster[2,1,1024]', false], ['yarn', false], ['spark://h:7077', false]])('%s is local: %s', (master, local) => {
    expect(isLocalMaster(master)).toBe(local);
  });
});

describe('readSummary', () => {
  it('reads the last summary line and ignores everything else the driver printed', () => {
    const summary = { rows: 3, application_id: 'app-1', parts: [{ file: 'part-00000-x.parquet', partition: 0, rows: 3 }], executors: [] };
    expect(readSummary(`noise\n${SUMMARY_PREFIX}{"rows": 1}\n${SUMMARY_PREFIX}${JSON.stringify(summary)}\nmore noise\n`)).toEqual(summary);
    expect(readSummary('no summary here\n')).toBeUndefined();
  });
});

describe('failureLine', () => {
  it.each([
    ['the mlf worker\'s own error, before the py4j and Java lines around it', [
      '26/12/02 06:00:00 INFO SparkContext: Running Spark version 4.3.0',
      'py4j.protocol.Py4JJavaError: An error occurred while calling o52.parquet.',
      'org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in stage 1.0 failed 4 times',
      'mlf_worker.errors.SchemaError: Failed to enforce schema of data \'x\' with schema \'y\'',
      '\tat org.apache.spark.api.python.BasePythonRunner.foo(PythonRunner.scala:1)',
    ], 'mlf_worker.errors.SchemaError: Failed to enforce schema of data \'x\' with schema \'y\''],
    ['a Python error of the model\'s own', ['pyspark.errors.exceptions.captured.PythonException: ', 'ValueError: could not convert string to float: \'a\''], 'ValueError: could not convert string to float: \'a\''],
    ['Spark\'s own ERROR line when no Python raised', ['26/12/02 06:00:00 INFO Utils: x', '26/12/02 06:00:01 ERROR StandaloneSchedulerBackend: Application has been killed. Reason: All masters are unresponsive! Giving up.', 'last'], '26/12/02 06:00:01 ERROR StandaloneSchedulerBackend: Application has been killed. Reason: All masters are unresponsive! Giving up.'],
    ['the last line otherwise', ['a', 'b'], 'b'],
  ])('%s', (_name, lines, expected) => {
    expect(failureLine(lines.join('\n'))).toBe(expected);
  });
});

describe('jobArguments', () => {
  const common = { format: 'parquet' as const, modelDir: '/m', executorModelDir: 'mlfmodel', executorEnvDir: 'mlfenv', resultColumn: 'prediction' };

  it('hands a URI input and a URI output to the job unchanged, with --commit-output', () => {
    expect(jobArguments({ ...common, inputs: ['s3a://bucket/in/*.parquet'], output: 'hdfs://nn:8020/out/', commitOutput: true })).toEqual([
      '--input', 's3a://bucket/in/*.parquet', '--input-format', 'parquet', '--output', 'hdfs://nn:8020/out/', '--output-format', 'parquet', '--commit-output',
      '--model-dir', '/m', '--executor-model-dir', 'mlfmodel', '--executor-env-dir', 'mlfenv', '--result-column', 'prediction',
    ]);
  });

  it('gives local files one --input each and a local staging directory without --commit-output', () => {
    expect(jobArguments({ ...common, inputs: ['/d/a.parquet', '/d/b.parquet'], output: '/o/_mlf_batch/tmp/spark-parts', commitOutput: false, partitions: 3, columns: ['x', 'y'] })).toEqual([
      '--input', '/d/a.parquet', '--input', '/d/b.parquet', '--input-format', 'parquet', '--output', '/o/_mlf_batch/tmp/spark-parts', '--output-format', 'parquet',
      '--model-dir', '/m', '--executor-model-dir', 'mlfmodel', '--executor-env-dir', 'mlfenv', '--result-column', 'prediction', '--partitions', '3', '--columns', '["x","y"]',
    ]);
  });
});
