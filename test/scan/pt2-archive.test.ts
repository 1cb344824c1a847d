import { describe, expect, it } from 'vitest';
import { listZipEntries } from '../../src/scan/zip-entries.js';
import { pt2ArchiveFolder, readPt2Program } from '../../src/scan/pt2-archive.js';
import { pickleOf, pt2ArchiveOf, ranges, zipOf } from '../support/model-bytes.js';

// The graph signature of a torch.export.save archive, read from its JSON records only.

describe('pt2ArchiveFolder: a PT2 archive is told by its archive_format record, not its name', () => {
  it('finds the folder of a PT2 archive, whatever the file stem it was saved under', () => {
    const bytes = pt2ArchiveOf([{ name: 'x', dtype: 7, sizes: ['dyn', 4] }], [{ name: 'y', dtype: 7, sizes: ['dyn', 2] }], 'user');
    expect(pt2ArchiveFolder(ranges(bytes), listZipEntries(ranges(bytes), 'user.pt2'), 'user.pt2')).toBe('user');
  });

  it('says none for a torch.save zip (data.pkl), and for an archive_format that is not pt2', () => {
    const torchSave = zipOf({ 'model/data.pkl': pickleOf('torch.nn.modules.linear', 'Linear'), 'model/version': '3\n' });
    const other = zipOf({ 'model/archive_format': 'pt3' });
    for (const bytes of [torchSave, other]) expect(pt2ArchiveFolder(ranges(bytes), listZipEntries(ranges(bytes), 'm'), 'm')).toBeUndefined();
  });
});

describe('readPt2Program', () => {
  it('reads the user inputs and outputs (not the parameters), dtypes as numpy names, static and dynamic sizes', () => {
    const bytes = pt2ArchiveOf([{ name: 'input', dtype: 7, sizes: ['dyn', 4], hint: 5 }], [{ name: 'linear_1', dtype: 5, sizes: ['dyn', 2], hint: 5 }]);
    const program = readPt2Program(ranges(bytes), 'model.pt2');
    expect(program.folder).toBe('model');
    expect(program.torchVersion).toBe('2.13.0+cpu');
    expect(program.inputs).toEqual([{ name: 'input', dtype: 'float32', torchDtype: 'float32', sizes: [{ dynamic: true, hint: 5 }, { static: 4 }] }]);
    expect(program.outputs).toEqual([{ name: 'linear_1', dtype: 'int64', torchDtype: 'int64', sizes: [{ dynamic: true, hint: 5 }, { static: 2 }] }]);
  });

  it('keeps a non-tensor input as null, and a dtype numpy lacks as undefined with torch\'s name', () => {
    const bytes = pt2ArchiveOf([{ name: 'x', dtype: 13, sizes: [3] }, 'int'], [{ name: 'y', dtype: 12, sizes: [3] }]);
    const program = readPt2Program(ranges(bytes), 'model.pt2');
    expect(program.inputs).toEqual([{ name: 'x', dtype: undefined, torchDtype: 'bfloat16', sizes: [{ static: 3 }] }, null]);
    expect(program.outputs[0]!.dtype).toBe('bool');
  });

  it('refuses a zip that is not a PT2 archive, and one whose program is not JSON, with the file named', () => {
    const torchSave = zipOf({ 'model/data.pkl': pickleOf('torch.nn.modules.linear', 'Linear') });
    expect(() => readPt2Program(ranges(torchSave), 'model.pth')).toThrow("`model.pth` is not a PT2 archive mlf can read: it has no `<name>/archive_format` reading `pt2`");
    const broken = zipOf({ 'm/archive_format': 'pt2', 'm/models/model.json': '{"graph_module": ' });
    expect(() => readPt2Program(ranges(broken), 'm.pt2')).toThrow('`models/model.json` is not JSON');
    const renamed = zipOf({ 'm/archive_format': 'pt2', 'm/models/other.json': '{}' });
    expect(() => readPt2Program(ranges(renamed), 'm.pt2')).toThrow('it has no `m/models/model.json` (it holds `m/models/other.json`');
  });
});
