// switch_channel_expand_variables' rules (FreeSWITCH 1.10.12), case by case, on a fixed source.
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { expandText, type VariableSource } from '../src/core/expand-variables.js';

const vars = new Map([
  ['a', 'AAA'], ['n', '4155550100'], ['list', 'ARRAY::x|:y|:z'], ['inner', 'n'], ['ref', '<${a}>'], ['loop', '${loop}'],
]);
const source: VariableSource = (name, index) => {
  const v = vars.get(name);
  return index === undefined ? v : v?.startsWith('ARRAY::') ? v.slice(7).split('|:')[index] : undefined;
};
const x = (text: string): string => expandText(text, source);

void it('expands names, unknown ones to nothing, values and names themselves expanded', () => {
  assert.equal(x('${a}-${none}-$${a}'), 'AAA--AAA');
  assert.equal(x('${${inner}}'), '4155550100');
  assert.equal(x('${ref}'), '<AAA>');
  assert.equal(x('${a'), 'AAA', 'an unclosed brace reads to the end');
  assert.ok(x('${loop}').includes('${loop}'), 'a self-reference stops at the depth limit');
});

void it('takes parts of a value and items of an array', () => {
  assert.equal(x('${n:0:3}|${n:7}|${n:-4}|${n:-40}|${n:40}'), '415|100|0100|4155550100|');
  assert.equal(x('${list[1]}|${list[5]}|${a[0]}'), 'y||');
});

void it('keeps text without a reference as it is and honours the escapes', () => {
  assert.equal(x('cost $5 \\$x'), 'cost $5 \\$x', 'no ${ and no escape FreeSWITCH looks for');
  assert.equal(x('\\${a} ${a}'), '${a} AAA');
  assert.equal(x("\\\\ \\' \\q ${a}"), '\\  \\q AAA');
  assert.equal(x('$$x ${a}'), '$x AAA');
  assert.equal(x('${a}\\$'), 'AAA\\$', 'the character after a closing brace is copied as it is');
  assert.equal(x('${api arg} ${api(arg)}'), ' ', 'API calls are not simulated');
});
