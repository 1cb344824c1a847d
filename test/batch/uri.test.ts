import { describe, expect, it } from 'vitest';
import { formatOfUri, isStorageUri, localPathForLocalEngine } from '../../src/batch/uri.js';
import { isMlfError } from '../../src/errors.js';

function refusal(action: () => unknown) {
  try {
    action();
  } catch (error) {
    if (isMlfError(error)) return { exitCode: error.exitCode, message: error.message, hint: error.hint };
    throw error;
  }
  throw new Error('did not throw');
}

describe('isStorageUri', () => {
  it('takes anything with a scheme as a URI', () => {
    for (const uri of ['file:///data/in.parquet', 'file:/data/in', 'hdfs://nn:8020/data/*.csv', 's3a://bucket/key/', 'gs://b/x.json', 'abfss://c@acct.dfs.core.windows.net/p', 'viewfs://cluster/x']) {
      expect(isStorageUri(uri), uri).toBe(true);
    }
  });

  it('keeps local paths, globs, Windows drive letters and odd file names paths', () => {
    for (const local of ['in.parquet', './data/*.csv', '/abs/dir', 'C:\\data\\in.csv', 'C:/data/in.csv', 'weird:name.csv', 'dir/s3a://x']) {
      expect(isStorageUri(local), local).toBe(false);
    }
  });
});

describe('formatOfUri', () => {
  it('is --format when given, whatever the name', () => {
    expect(formatOfUri('s3a://bucket/table/', 'parquet')).toBe('parquet');
    expect(formatOfUri('hdfs://nn/x.csv', 'json')).toBe('json');
  });

  it("is the URI's extension (a file or a glob), query and trailing slash aside", () => {
    expect(formatOfUri('file:///data/in.parquet', undefined)).toBe('parquet');
    expect(formatOfUri('s3a://bucket/in/*.csv', undefined)).toBe('csv');
    expect(formatOfUri('gs://b/rows.jsonl?generation=3', undefined)).toBe('json');
  });

  it('asks for --format when the name does not say (a directory), exit 2', () => {
    const refused = refusal(() => formatOfUri('hdfs://nn:8020/data/table/', undefined));
    expect(refused.exitCode).toBe(2);
    expect(refused.message).toBe("cannot tell the format of the input `hdfs://nn:8020/data/table/` from its name (mlf does not list a URI's files)");
    expect(refused.hint).toBe('give --format parquet, csv or json');
  });
});

describe('localPathForLocalEngine', () => {
  it('refuses a URI of another scheme in one line naming it and --engine spark, exit 2', () => {
    const refused = refusal(() => localPathForLocalEngine('s3a://bucket/out', 'output'));
    expect(refused.exitCode).toBe(2);
    expect(refused.message).toBe('the output `s3a://bucket/out` is a URI, which only --engine spark reads and writes (--engine local takes local paths and file: URIs)');
  });

  it('reads a file: URI as the path it names (both spellings, percent-decoded, globs kept), and refuses one of another host', () => {
    expect(localPathForLocalEngine('file:///data/in.parquet', 'input')).toBe('/data/in.parquet');
    expect(localPathForLocalEngine('file:/data/in.parquet', 'input')).toBe('/data/in.parquet');
    expect(localPathForLocalEngine('file:///data/my%20dir/*.csv', 'input')).toBe('/data/my dir/*.csv');
    const refused = refusal(() => localPathForLocalEngine('file://otherhost/data', 'input'));
    expect(refused.exitCode).toBe(2);
    expect(refused.message).toBe('the input `file://otherhost/data` is not a file: URI of this machine (a host other than localhost, or a malformed URI)');
  });

  it('lets a local path through', () => {
    expect(localPathForLocalEngine('out/dir', 'output')).toBe('out/dir');
  });
});
