/**
 * `utc_time_created` as mlf writes it (model/mlmodel.ts `formatUtcTimeCreated`) against what
 * MLflow writes: `mlflow.models.Model()` in the MLflow test environment, its clock stopped at each
 * instant, so that MLflow's own formatting line (mlflow/models/model.py, `Model.__init__`) runs.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { formatUtcTimeCreated } from '../../src/model/mlmodel.js';
import { e2ePython } from '../support/cli.js';

// Milliseconds only: a JS Date has no finer fraction. A zero fraction, a leading-zero year
// (Python pads it to four digits), the last instant of a year and a leap day.
const INSTANTS = ['2025-01-02T03:04:05.123Z', '2025-11-21T09:19:40.000Z', '0999-12-31T23:59:59.001Z', '2024-02-29T00:00:00.010Z', '2026-12-31T23:59:59.999Z'];

// Stops MLflow's clock: `datetime.now(timezone.utc)` (MLflow 3.4 on) and `datetime.utcnow()` (before).
const MLFLOW_UTC_TIME_CREATED = `
import datetime as dt, json, sys, warnings
warnings.filterwarnings("ignore")
import mlflow.models.model as model_module
out = []
for iso in json.load(sys.stdin):
    fixed = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    class Stopped(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return fixed if tz is not None else fixed.replace(tzinfo=None)
        @classmethod
        def utcnow(cls):
            return fixed.replace(tzinfo=None)
    model_module.datetime = Stopped
    out.append(model_module.Model().utc_time_created)
json.dump(out, sys.stdout)
`;

const python = e2ePython();

describe('utc_time_created (against MLflow)', () => {
  it.skipIf(!python)(`formats each instant as MLflow's Model does${python ? '' : ' (skipped: no MLflow test environment; set MLF_E2E_PYTHON)'}`, async () => {
    const { stdout } = await execa(python!, ['-c', MLFLOW_UTC_TIME_CREATED], { input: JSON.stringify(INSTANTS) });
    const mlflow = JSON.parse(stdout) as string[];
    expect(INSTANTS.map((iso) => formatUtcTimeCreated(new Date(iso)))).toEqual(mlflow);
  });
});
