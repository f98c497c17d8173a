// A node:test reporter for run-tests.mjs, next to the spec one: one line per counted result
// ("passed", "failed" or "skipped", a tab, the file), written as each result is reported, so a run
// ended by a signal still leaves what it got to. run-tests.mjs adds them up into its summary line.
//
// Counted: each test that ran no subtests (a suite is never counted itself; a test or suite with
// subtests only when it failed without any of them failing, e.g. a hook or its own code threw);
// cancelled counts as failed, skip and todo as skipped. A test file that failed as a whole
// (crashed, or ended for outliving --test-timeout) counts as one failure: node reports it as a test
// named after the file, at nesting 0, and its tests that had not finished are never reported.

/** Per test file: for each nesting level, whether a result was reported there since the last one above, and whether one of those failed. */
const files = new Map();

function levels(file) {
  let state = files.get(file);
  if (state === undefined) files.set(file, (state = { reported: [], failed: [] }));
  return state;
}

function count(type, data) {
  const file = data.file ?? '';
  const { reported, failed } = levels(file);
  const n = data.nesting;
  const hasChildren = reported[n + 1] === true;
  const childFailed = failed[n + 1] === true;
  reported.length = failed.length = n + 1; // deeper levels belong to this test, now done
  reported[n] = true;
  const wholeFile = n === 0 && data.name === file;
  const isSuite = data.details?.type === 'suite';
  let result;
  if (data.todo !== undefined && data.todo !== false) result = 'skipped';
  else if (data.skip !== undefined && data.skip !== false) result = 'skipped';
  else if (type === 'test:pass') result = wholeFile || (!hasChildren && !isSuite) ? 'passed' : undefined;
  else result = wholeFile || !childFailed ? 'failed' : undefined;
  if (result === 'failed' || childFailed) failed[n] = true;
  if (isSuite && result === 'skipped' && hasChildren) result = undefined; // its tests were counted
  return result === undefined ? '' : `${result}\t${file}\n`;
}

export default async function* testCounter(source) {
  for await (const event of source) {
    if (event.type === 'test:pass' || event.type === 'test:fail') yield count(event.type, event.data);
  }
}
